// Portal sessions: the signed, expiring token a platform's link opens the billing portal with, for one
// account. It is stateless: `rps_<base64url payload>.<base64url mac>`, the MAC an HMAC-SHA256 under
// PORTAL_SESSION_SECRET (config/config.ts) of the payload, which names the account, the locale, the
// platform's return URL, the expiry and a random nonce. Nothing is stored, so nothing can be edited: a
// changed payload fails the MAC, and the expiry inside it cannot be stretched. The token is the cookie of
// /portal and the bearer of the portal's /v1 calls (api/auth.ts), never an API key.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const portalLocales = ['en', 'zh-CN'] as const;
export type PortalLocale = (typeof portalLocales)[number];

/** What a portal session token carries. */
export interface PortalSession {
  accountId: string;
  locale: PortalLocale;
  returnUrl: string;
  /** Unix seconds; the token is refused from then on. */
  expiresAtSeconds: number;
}

export interface PortalSessionSettings {
  /** The HMAC key: PORTAL_SESSION_SECRET, or derived from the webhook secret when it is unset. */
  secret: string;
  /** PORTAL_SESSION_EXPIRY_MINUTES: how long a link and the session it opens work. */
  expiryMinutes: number;
}

/** What every portal session token starts with; an API key (rfk_…) never does. */
export const portalTokenPrefix = 'rps_';
/** A return URL is at most 2,048 characters, so a token is under 3 KB: well inside a cookie's 4 KB. */
export const maximumPortalTokenLength = 3_500;
const tokenPattern = /^rps_([A-Za-z0-9_-]{1,3400})\.([A-Za-z0-9_-]{43})$/;
const accountIdPattern = /^acct_[0-9a-z]{24}$/;

function macOf(secret: string, encodedPayload: string): Buffer {
  return createHmac('sha256', secret).update(`portal-session\n${encodedPayload}`).digest();
}

/** A new token for the session; the nonce makes two links for the same account and moment differ. */
export function signPortalSession(secret: string, session: PortalSession): string {
  const payload = {
    account_id: session.accountId,
    locale: session.locale,
    return_url: session.returnUrl,
    expires_at: session.expiresAtSeconds,
    nonce: randomBytes(12).toString('base64url'),
  };
  const encoded = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${portalTokenPrefix}${encoded}.${macOf(secret, encoded).toString('base64url')}`;
}

export type PortalSessionVerdict =
  | { status: 'valid'; session: PortalSession }
  | { status: 'expired'; session: PortalSession }
  | { status: 'invalid' };

/** The session a payload names, or null when it is not one this module writes. */
function sessionOfPayload(encoded: string): PortalSession | null {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof payload !== 'object' || payload === null) return null;
  const { account_id: accountId, locale, return_url: returnUrl, expires_at: expiresAtSeconds } = payload as Record<string, unknown>;
  if (typeof accountId !== 'string' || !accountIdPattern.test(accountId)) return null;
  if (typeof locale !== 'string' || !(portalLocales as readonly string[]).includes(locale)) return null;
  if (typeof returnUrl !== 'string' || typeof expiresAtSeconds !== 'number' || !Number.isSafeInteger(expiresAtSeconds)) return null;
  return { accountId, locale: locale as PortalLocale, returnUrl, expiresAtSeconds };
}

/**
 * Whether a token is one this installation signed, and still good at now. The MAC is compared in
 * constant time and before anything else is read, so an expired answer (which names its session's
 * return URL) is given only for a token this installation made.
 */
export function verifyPortalSession(secret: string, token: string, now: Date): PortalSessionVerdict {
  const match = token.length > maximumPortalTokenLength ? null : tokenPattern.exec(token);
  if (match === null) return { status: 'invalid' };
  const encoded = match[1]!;
  const presented = Buffer.from(match[2]!, 'base64url');
  const expected = macOf(secret, encoded);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { status: 'invalid' };
  const session = sessionOfPayload(encoded);
  if (session === null) return { status: 'invalid' };
  return now.getTime() >= session.expiresAtSeconds * 1000 ? { status: 'expired', session } : { status: 'valid', session };
}

/** The key used when PORTAL_SESSION_SECRET is unset: derived from the webhook secret, never the secret itself. */
export function derivedPortalSessionSecret(webhookSecret: string): string {
  return createHmac('sha256', webhookSecret).update('refill portal sessions').digest('hex');
}
