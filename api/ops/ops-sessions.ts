// Sessions of the ops console (/ops). An operator signs in with their admin token (checked as /admin
// checks it, api/auth.ts); the console then keeps a server-side session (table ops_sessions, which this
// module alone writes, through db/ops-sessions/) named by a random secret in the `refill_ops` cookie.
// Only the secret's SHA-256 is stored. Every POST carries the session's CSRF token (a synchronizer token
// in a hidden field, compared in constant time) and must come from this site's own pages (Origin, or
// Referer where a browser sends no Origin); anything else is refused with csrf_refused before it acts.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../../config/config.ts';
import type { Sql } from '../../db/client.ts';
import { createOpsSession } from '../../db/ops-sessions/create-ops-session.ts';
import { endOpsSession } from '../../db/ops-sessions/end-ops-session.ts';
import { findActiveOpsSession } from '../../db/ops-sessions/find-active-ops-session.ts';
import type { OpsSession } from '../../db/ops-sessions/ops-session.ts';
import { ApiError } from '../../domain/errors.ts';
import { operatorOfToken } from '../auth.ts';

export const opsSessionCookie = 'refill_ops';
/** The hidden field of every console form. */
export const csrfField = 'csrf_token';
const cookiePath = '/ops';
const secretBytes = 32;
/** A cookie value is 43 base64url characters; anything else is not ours and is not looked up. */
const secretPattern = /^[A-Za-z0-9_-]{43}$/;
const maximumTokenLength = 200;

const digestHex = (text: string) => createHash('sha256').update(text).digest('hex');

/** Equal in constant time: both sides are hashed first, so their lengths never show. */
export function constantTimeEqual(presented: string, expected: string): boolean {
  const left = createHash('sha256').update(presented).digest();
  const right = createHash('sha256').update(expected).digest();
  return timingSafeEqual(left, right);
}

function isHttps(config: Config): boolean {
  return config.api.publicBaseUrl.startsWith('https:');
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Path=/ops, Secure on https, for the session's life. */
function setSessionCookie(response: Response, config: Config, secret: string, expiresAt: Date): void {
  const maxAgeSeconds = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  response.append(
    'Set-Cookie',
    stringifySetCookie({ name: opsSessionCookie, value: secret, httpOnly: true, sameSite: 'strict', path: cookiePath, secure: isHttps(config), maxAge: maxAgeSeconds }),
  );
}

function clearSessionCookie(response: Response, config: Config): void {
  response.append(
    'Set-Cookie',
    stringifySetCookie({ name: opsSessionCookie, value: '', httpOnly: true, sameSite: 'strict', path: cookiePath, secure: isHttps(config), maxAge: 0 }),
  );
}

/** The cookie's session secret, when it has the shape of one. */
function sessionSecret(request: Request): string | null {
  const header = request.get('cookie');
  if (header === undefined) return null;
  const value = parseCookie(header)[opsSessionCookie];
  return value !== undefined && secretPattern.test(value) ? value : null;
}

/** The origins the console's own pages are served from: PUBLIC_BASE_URL's, and the one this request was sent to. */
function ownOrigins(request: Request, config: Config): string[] {
  return [new URL(config.api.publicBaseUrl).origin, `${request.protocol}://${request.get('host') ?? ''}`];
}

function originOf(value: string): string | null {
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}

/**
 * Refuses a POST that does not come from the console's own pages: its Origin must be ours; a browser
 * that sends none (or `null`) must send a Referer of ours. The console's pages send Referrer-Policy:
 * same-origin, so browsers send both on their own forms.
 */
export function refuseForeignOrigin(request: Request, config: Config): void {
  const origin = request.get('origin');
  const referer = request.get('referer');
  const claimed = origin !== undefined && origin !== 'null' ? originOf(origin) : referer === undefined ? null : originOf(referer);
  if (claimed === null || !ownOrigins(request, config).includes(claimed)) {
    throw new ApiError('csrf_refused', 'The form was not sent from this console\'s own pages (Origin or Referer); nothing changed.');
  }
}

/** The session of the request's cookie, or null (none, unknown, expired or signed out). */
export async function sessionOf(sql: Sql, request: Request): Promise<OpsSession | null> {
  const secret = sessionSecret(request);
  return secret === null ? null : findActiveOpsSession(sql, digestHex(secret));
}

/** The session a route runs in (set by requireOpsSession). */
export function currentOpsSession(response: Response): OpsSession {
  const session = response.locals.opsSession as OpsSession | undefined;
  if (session === undefined) throw new Error('currentOpsSession used on a route without requireOpsSession');
  return session;
}

/**
 * Lets a console request through only in an active session, and remembers its operator as /admin
 * routes do (response.locals.operator), so the audit log and the shared actions record them. A page
 * without a session goes to the sign-in page; a POST without one, or without its CSRF token, is refused.
 */
export function requireOpsSession(sql: Sql, config: Config) {
  return async (request: Request, response: Response, next: NextFunction) => {
    const session = await sessionOf(sql, request);
    if (request.method === 'GET' || request.method === 'HEAD') {
      if (session === null) return response.redirect(303, '/ops/sign-in');
    } else {
      refuseForeignOrigin(request, config);
      refuseWithoutCsrfToken(request, session);
    }
    response.locals.opsSession = session;
    response.locals.operator = session!.operator;
    next();
  };
}

/** The synchronizer token check: the form's hidden field must be this session's token. */
function refuseWithoutCsrfToken(request: Request, session: OpsSession | null): void {
  const body = request.body as Record<string, unknown> | undefined;
  const presented = body?.[csrfField];
  if (session === null || typeof presented !== 'string' || presented.length > maximumTokenLength || !constantTimeEqual(presented, session.csrfToken)) {
    throw new ApiError('csrf_refused', 'The form did not carry this session\'s security token (or the session has ended); nothing changed. Reload the page and try again.');
  }
  // The action sees the form as /admin would see its JSON body: the token is the console's, not the action's.
  const { [csrfField]: _token, ...fields } = body!;
  request.body = fields;
}

/**
 * Checks the operator's token as /admin does and starts a session; a wrong token is `unauthorized`
 * (thrown, so the failure counts against the address's authentication failures).
 */
export async function signIn(sql: Sql, config: Config, response: Response, token: unknown): Promise<OpsSession> {
  const operator = typeof token === 'string' && token.length <= maximumTokenLength ? operatorOfToken(token, config.api.adminOperators) : null;
  if (operator === null) throw new ApiError('unauthorized', 'That is not an operator\'s token.');
  const secret = randomBytes(secretBytes).toString('base64url');
  const session = await createOpsSession(sql, {
    id: digestHex(secret),
    operator,
    csrfToken: randomBytes(secretBytes).toString('base64url'),
    lifetimeHours: config.opsConsole.sessionHours,
  });
  setSessionCookie(response, config, secret, session.expiresAt);
  return session;
}

/** Ends the session server-side and clears the cookie. */
export async function signOut(sql: Sql, config: Config, session: OpsSession, response: Response): Promise<void> {
  await endOpsSession(sql, session.id);
  clearSessionCookie(response, config);
}
