// Authentication: customer API keys on /v1, the admin token on /admin. Both are bearer tokens.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '../domain/errors.ts';
import { findAccountByApiKey, type AuthenticatedAccount } from '../db/accounts/find-account-by-api-key.ts';
import type { Sql } from '../db/client.ts';

/** Keys are far shorter than this; a longer header is refused before any lookup. */
const maximumBearerTokenLength = 200;

function bearerToken(request: Request): string | null {
  const header = request.get('authorization');
  if (header === undefined) return null;
  const match = /^Bearer ([\x21-\x7e]{1,200})$/.exec(header);
  return match === null || match[1]!.length > maximumBearerTokenLength ? null : match[1]!;
}

const unauthorized = () =>
  new ApiError('unauthorized', 'Send Authorization: Bearer <api key> with an active key.');

/** The authenticated account of a /v1 request, set by requireAccount. */
export function currentAccount(response: Response): AuthenticatedAccount {
  const account = response.locals.account as AuthenticatedAccount | undefined;
  if (account === undefined) throw new Error('currentAccount used on a route without requireAccount');
  return account;
}

/** Lets a request through only with an active customer API key, and remembers its account. */
export function requireAccount(sql: Sql) {
  return async (request: Request, response: Response, next: NextFunction) => {
    const token = bearerToken(request);
    if (token === null) throw unauthorized();
    const account = await findAccountByApiKey(sql, token);
    if (account === null) throw unauthorized();
    response.locals.account = account;
    next();
  };
}

function sameSecret(a: string, b: string): boolean {
  // Comparing digests keeps the comparison constant-time whatever the lengths.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Lets a request through only with the admin token; a customer key gets 403, anything else 401. */
export function requireAdmin(sql: Sql, adminToken: string) {
  return async (request: Request, _response: Response, next: NextFunction) => {
    const token = bearerToken(request);
    if (token === null) throw unauthorized();
    if (sameSecret(token, adminToken)) return next();
    if ((await findAccountByApiKey(sql, token)) !== null) {
      throw new ApiError('forbidden', 'A customer API key cannot use /admin routes.');
    }
    throw unauthorized();
  };
}
