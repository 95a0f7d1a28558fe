// Rate limits at the API's edge (express-rate-limit, counted in this process's memory): what costs the
// platform work or guards a secret is limited; the usage hot path (POST /v1/consumptions, which a
// legitimate key calls thousands of times per second) is not. Limits are per window (RATE_LIMIT_*);
// a limit of 0 turns it off.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit, type RateLimitRequestHandler } from 'express-rate-limit';
import type { RateLimits } from '../config/config.ts';
import { ApiError } from '../domain/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { currentAccount } from './auth.ts';

/** What a limit counts by: the client's address (an IPv6 client by its /56 network), or its account. */
type LimitKey = 'address' | 'account';

function keyOf(kind: LimitKey, request: Request, response: Response): string {
  if (kind === 'account') return currentAccount(response).accountId;
  return ipKeyGenerator(request.ip ?? 'unknown');
}

function rateLimited(what: string, retryAfterSeconds: string | number | undefined): ApiError {
  const wait = retryAfterSeconds === undefined ? 'shortly' : `in ${retryAfterSeconds} s`;
  return new ApiError('rate_limited', `Too many ${what}; retry ${wait} (Retry-After).`);
}

/** Where express-rate-limit reports a misconfiguration it notices (a proxy header without TRUST_PROXY_HOPS). */
type LimitLogger = Pick<Logger, 'warn' | 'error'>;

function limiter(limit: number, windowMilliseconds: number, kind: LimitKey, what: string, logger: LimitLogger): RateLimitRequestHandler {
  return rateLimit({
    windowMs: windowMilliseconds,
    limit,
    // RateLimit and RateLimit-Policy on every counted response, and Retry-After on a refusal.
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (request, response) => keyOf(kind, request, response),
    handler: (_request, response, next) => next(rateLimited(what, response.getHeader('Retry-After') as string | undefined)),
    logger: { warn: (error, message) => logger.warn({ err: error }, message ?? 'rate limit'), error: (error, message) => logger.error({ err: error }, message ?? 'rate limit') },
  });
}

const passThrough: RequestHandler = (_request, _response, next) => next();

/** A route's limit, or a middleware that lets everything through when the limit is 0. */
function routeLimit(limit: number, windowMilliseconds: number, kind: LimitKey, what: string, logger: LimitLogger): RequestHandler {
  return limit === 0 ? passThrough : limiter(limit, windowMilliseconds, kind, what, logger);
}

/** The limits of the routes that create something, price something, or serve a page. */
export function routeLimits(limits: RateLimits, logger: LimitLogger) {
  const limit = (count: number, kind: LimitKey, what: string) => routeLimit(count, limits.windowMilliseconds, kind, what, logger);
  return {
    accountCreations: limit(limits.accountCreationsPerAddress, 'address', 'account creations from this address'),
    orders: limit(limits.ordersPerKey, 'account', 'top-up orders for this key'),
    quotes: limit(limits.quotesPerKey, 'account', 'quotes for this key'),
    webhooks: limit(limits.webhooksPerAddress, 'address', 'webhook deliveries from this address'),
    pages: limit(limits.pagesPerAddress, 'address', 'page requests from this address'),
  };
}

/** Runs an express-rate-limit middleware as a function: resolves when it lets the request through. */
function runLimiter(middleware: RateLimitRequestHandler, request: Request, response: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    void middleware(request, response, (error?: unknown) => (error === undefined ? resolve() : reject(error)));
  });
}

function isUnauthorized(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'unauthorized';
}

/**
 * Failed authentications per client address, counted apart for /v1 and /admin. Only failures are counted,
 * after they fail, so a valid key is never slowed by its address's failures (a scanner behind the same
 * NAT cannot lock a customer's usage out). Past the limit:
 * - on /v1, each further failure is 429 instead of 401: API keys carry about 200 random bits, so guessing
 *   one is hopeless anyway, and the 429 tells a misconfigured client or a scanner to stop;
 * - on /admin, every request from the address is 429 until the window ends, whatever token it carries:
 *   an admin token is chosen by a person and may be guessable, so a correct guess must not be told apart.
 */
export function authenticationFailureLimit(limits: RateLimits, logger: LimitLogger) {
  const limit = limits.authenticationFailuresPerAddress;
  const failuresOf = () =>
    limit === 0 ? null : limiter(limit, limits.windowMilliseconds, 'address', 'failed authentications from this address', logger);

  /** Wraps an authentication middleware so that its 401s are counted, and become 429s past the limit. */
  function counting(authenticate: RequestHandler, failures: RateLimitRequestHandler | null): RequestHandler {
    if (failures === null) return authenticate;
    return async (request: Request, response: Response, next: NextFunction) => {
      try {
        await authenticate(request, response, next);
      } catch (error) {
        if (isUnauthorized(error)) await runLimiter(failures, request, response);
        throw error;
      }
    };
  }

  /** Refuses every request from an address that has used up its failures in this window. */
  function lockout(failures: RateLimitRequestHandler | null): RequestHandler {
    return async (request, response, next) => {
      if (failures === null) return next();
      const counted = await failures.getKey(keyOf('address', request, response));
      if (counted === undefined || counted.totalHits < limit) return next();
      const retryAfterSeconds = Math.max(1, Math.ceil(((counted.resetTime?.getTime() ?? Date.now()) - Date.now()) / 1000));
      response.set('Retry-After', String(retryAfterSeconds));
      throw rateLimited('failed authentications from this address', retryAfterSeconds);
    };
  }

  const customerFailures = failuresOf();
  const adminFailures = failuresOf();
  return {
    /** For /v1: counts failures; past the limit, failures are 429s, valid keys pass. */
    customer: (authenticate: RequestHandler) => counting(authenticate, customerFailures),
    /** For /admin: counts failures; past the limit, the address is locked out. */
    admin: (authenticate: RequestHandler) => [lockout(adminFailures), counting(authenticate, adminFailures)],
  };
}
