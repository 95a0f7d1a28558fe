// Authentication: customer API keys on /v1, operators' tokens on /admin. Both are bearer tokens. A
// billing portal session's token (rps_…, ids/portal-sessions.ts) is a bearer token on /v1 too, verified
// by its signature rather than looked up, and good only for the portal's routes (portal-session-access.ts).
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { tokenDigest, type AdminOperator } from '../config/admin-operators.ts';
import { ApiError } from '../domain/errors.ts';
import { hashApiKey } from '../db/accounts/create-account.ts';
import { findAccountByApiKey, findAccountByKeyHash, type AuthenticatedAccount } from '../db/accounts/find-account-by-api-key.ts';
import { findAccountById } from '../db/accounts/find-account-by-id.ts';
import type { Sql } from '../db/client.ts';
import { maximumPortalTokenLength, portalTokenPrefix, verifyPortalSession } from '../ids/portal-sessions.ts';
import type { ApiKeyCache } from './api-key-cache.ts';
import { portalSessionMayCall } from './portal-session-access.ts';

/** Keys are far shorter than this; a longer header is refused before any lookup. */
const maximumBearerTokenLength = 200;

function bearerToken(request: Request): string | null {
  const header = request.get('authorization');
  if (header === undefined) return null;
  const match = /^Bearer ([\x21-\x7e]{1,200})$/.exec(header);
  return match === null || match[1]!.length > maximumBearerTokenLength ? null : match[1]!;
}

/** A portal session's token from the header, or null: it is longer than any key, as it carries its session. */
function portalBearerToken(request: Request): string | null {
  const header = request.get('authorization');
  if (header === undefined || !header.startsWith(`Bearer ${portalTokenPrefix}`) || header.length > maximumPortalTokenLength + 7) return null;
  return header.slice('Bearer '.length);
}

const unauthorized = () =>
  new ApiError('unauthorized', 'Send Authorization: Bearer <api key> with an active key.');

/** The authenticated account of a /v1 request, set by requireAccount. */
export function currentAccount(response: Response): AuthenticatedAccount {
  const account = response.locals.account as AuthenticatedAccount | undefined;
  if (account === undefined) throw new Error('currentAccount used on a route without requireAccount');
  return account;
}

/**
 * Lets a request through only with an active customer API key, and remembers its account. With a cache
 * (api/api-key-cache.ts) a key's lookup is reused for a few seconds; a revoked key is refused at once all
 * the same, since its revocation evicts it. Given the portal's secret, a portal session's token (rps_…)
 * is accepted too, for the portal's routes only; a key never takes that path.
 */
export function requireAccount(sql: Sql, cache: ApiKeyCache | undefined, portalSessionSecret?: string) {
  return async (request: Request, response: Response, next: NextFunction) => {
    const token = bearerToken(request);
    if (token === null || token.startsWith(portalTokenPrefix)) {
      if (portalSessionSecret === undefined) throw unauthorized();
      return authenticatePortalSession(sql, portalSessionSecret, request, response, next);
    }
    const keyHash = hashApiKey(token);
    const account =
      cache === undefined ? await findAccountByKeyHash(sql, keyHash) : await cache.lookup(keyHash.toString('hex'), () => findAccountByKeyHash(sql, keyHash));
    if (account === null) throw unauthorized();
    response.locals.account = account;
    next();
  };
}

/**
 * Lets a request through with a valid portal session's token to the routes a portal may call
 * (portal-session-access.ts), as its account; `response.locals.portalSession` tells routes it came from
 * the portal. Any other route is 403 forbidden; an expired or forged token is 401, as a bad key is.
 */
async function authenticatePortalSession(sql: Sql, secret: string, request: Request, response: Response, next: NextFunction) {
  const token = portalBearerToken(request);
  if (token === null) throw unauthorized();
  const verdict = verifyPortalSession(secret, token, new Date());
  if (verdict.status === 'expired') throw new ApiError('unauthorized', 'The portal session has expired; open the portal again from the platform.');
  if (verdict.status !== 'valid') throw unauthorized();
  if (!portalSessionMayCall(request)) {
    throw new ApiError('forbidden', `A portal session cannot ${request.method} ${request.baseUrl}${request.path}; only the billing portal's routes accept it.`);
  }
  const account = await findAccountById(sql, verdict.session.accountId);
  if (account === null) throw unauthorized();
  response.locals.account = account;
  response.locals.portalSession = true;
  next();
}

/**
 * The operator whose token this is, or null. Digests have one length whatever the token's, and every
 * one is compared in constant time, so the time taken tells neither how much of a wrong token was right
 * nor whose token a right one is. The ops console's sign-in (api/ops/ops-sessions.ts) checks tokens here too.
 */
export function operatorOfToken(token: string, operators: readonly AdminOperator[]): string | null {
  const presented = tokenDigest(token);
  let found: string | null = null;
  for (const operator of operators) {
    if (timingSafeEqual(presented, operator.tokenDigest) && found === null) found = operator.name;
  }
  return found;
}

/**
 * Lets a request through only with an operator's token (ADMIN_TOKENS, or ADMIN_TOKEN as the operator
 * admin) and remembers the operator for the request (`operator()` in api/operator.ts); a customer key
 * gets 403, anything else 401.
 */
export function requireAdmin(sql: Sql, operators: readonly AdminOperator[]) {
  return async (request: Request, response: Response, next: NextFunction) => {
    const token = bearerToken(request);
    if (token === null) throw unauthorized();
    const operator = operatorOfToken(token, operators);
    if (operator !== null) {
      response.locals.operator = operator;
      return next();
    }
    if ((await findAccountByApiKey(sql, token)) !== null) {
      throw new ApiError('forbidden', 'A customer API key cannot use /admin routes.');
    }
    throw unauthorized();
  };
}
