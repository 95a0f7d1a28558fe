// The HTTP client of Airwallex's Payment Acceptance API (documented REST, through fetch): it logs in with
// the client id and API key, keeps the bearer token until shortly before it expires, and turns
// Airwallex's error bodies ({ code, message }) into errors that say whether a retry can help.
// There is no stable official Node SDK to use instead: @airwallex/node-sdk is published only as a beta.
import type { AirwallexConfig } from '../../config/config.ts';
import { PermanentProviderError } from './provider.ts';

/**
 * A call that takes longer fails and is retried by the activity's own policy; well under the provider
 * activities' 30 s start-to-close timeout (workflows/activity-options.ts), even with the login before it.
 */
export const airwallexRequestTimeoutMilliseconds = 8_000;
/** Airwallex's tokens live 30 minutes; one is renewed this long before its expiry, so no call carries a dying one. */
export const tokenRenewalMarginMilliseconds = 5 * 60_000;
/** When the login's answer names no readable expiry: the documented lifetime less the margin. */
const assumedTokenLifetimeMilliseconds = 30 * 60_000;

/** An error Airwallex answered with: its status and code ("duplicate_request", "resource_not_found", …). */
export class AirwallexApiError extends Error {
  override name = 'AirwallexApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`Airwallex answered ${status} ${code}: ${message}`);
  }
}

export interface AirwallexClient {
  /** POSTs a JSON body to a path under the API base (/api/v1/…), with a valid token. */
  post<Result>(path: string, body: Record<string, unknown>): Promise<Result>;
  get<Result>(path: string): Promise<Result>;
}

interface CachedToken {
  token: string;
  renewAtMilliseconds: number;
}

/** The client for one set of credentials; its token is shared by every call of the process. */
export function createAirwallexClient(config: AirwallexConfig, now: () => number = Date.now): AirwallexClient {
  const { clientId, apiKey } = config;
  if (clientId === undefined || apiKey === undefined) throw new Error('the Airwallex provider needs AIRWALLEX_CLIENT_ID and AIRWALLEX_API_KEY');
  const base = config.apiBase.toString().replace(/\/+$/, '');
  let cached: CachedToken | null = null;
  let pendingLogin: Promise<CachedToken> | null = null;

  async function login(): Promise<CachedToken> {
    const body = await send<{ token?: unknown; expires_at?: unknown }>('/api/v1/authentication/login', {
      method: 'POST',
      headers: { 'x-client-id': clientId!, 'x-api-key': apiKey! },
    });
    if (typeof body.token !== 'string' || body.token === '') throw new AirwallexApiError(502, 'invalid_login_response', 'no token in the login response');
    const expiresAt = typeof body.expires_at === 'string' ? Date.parse(body.expires_at.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : Number.NaN;
    const expiresAtMilliseconds = Number.isNaN(expiresAt) ? now() + assumedTokenLifetimeMilliseconds : expiresAt;
    return { token: body.token, renewAtMilliseconds: expiresAtMilliseconds - tokenRenewalMarginMilliseconds };
  }

  /** A token valid for a while yet; concurrent callers share one login. */
  async function token(): Promise<string> {
    if (cached !== null && now() < cached.renewAtMilliseconds) return cached.token;
    pendingLogin ??= login().finally(() => {
      pendingLogin = null;
    });
    cached = await pendingLogin;
    return cached.token;
  }

  async function authorised<Result>(path: string, init: RequestInit): Promise<Result> {
    const call = async () => send<Result>(path, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${await token()}` } });
    try {
      return await call();
    } catch (error) {
      // A token revoked or expired early: log in again once, then the answer stands.
      if (!(error instanceof AirwallexApiError) || error.status !== 401) throw error;
      cached = null;
      return call();
    }
  }

  async function send<Result>(path: string, init: RequestInit): Promise<Result> {
    const response = await fetch(`${base}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
      signal: AbortSignal.timeout(airwallexRequestTimeoutMilliseconds),
    });
    const text = await response.text();
    const body = parseJson(text);
    if (response.ok) return body as Result;
    const details = (typeof body === 'object' && body !== null ? body : {}) as { code?: unknown; message?: unknown };
    throw new AirwallexApiError(
      response.status,
      typeof details.code === 'string' ? details.code : 'unknown',
      typeof details.message === 'string' ? details.message.slice(0, 500) : text.slice(0, 200),
    );
  }

  return {
    post: (path, body) => authorised(path, { method: 'POST', body: JSON.stringify(body) }),
    get: (path) => authorised(path, { method: 'GET' }),
  };
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * Errors Airwallex will answer the same way on every retry: a 4xx other than a timeout, a conflict or a
 * rate limit (bad parameters, bad credentials, an operation the intent's status refuses).
 */
export function isPermanentAirwallexError(error: unknown): error is AirwallexApiError {
  return error instanceof AirwallexApiError && error.status >= 400 && error.status < 500 && ![408, 409, 429].includes(error.status);
}

/** Runs a call; a permanent refusal becomes PermanentProviderError, which fails the activity at once. */
export async function permanentOrRetryable<Result>(call: () => Promise<Result>): Promise<Result> {
  try {
    return await call();
  } catch (error) {
    if (isPermanentAirwallexError(error)) throw new PermanentProviderError(error.message, { cause: error });
    throw error;
  }
}
