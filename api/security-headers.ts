// Security headers on every response (helmet), and Cache-Control: no-store by default: /admin and /v1
// answers carry API keys (account creation), balances and orders, which no browser, proxy or CDN may keep.
// A route that serves something cacheable says so itself (the invoice PDF: private, one hour).
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/** Two years, the value browsers' preload lists ask for. */
const strictTransportSecurityMaximumAgeSeconds = 63_072_000;

/**
 * JSON needs no sources at all; the HTML pages (sandbox checkout, checkout return) use inline styles and
 * post forms to themselves. No page of this API may be framed (clickjacking of the Pay button).
 */
const contentSecurityPolicy = {
  'default-src': ["'none'"],
  'style-src': ["'unsafe-inline'"],
  'form-action': ["'self'"],
  'base-uri': ["'none'"],
  'frame-ancestors': ["'none'"],
};

const noStore: RequestHandler = (_request, response, next) => {
  response.set('Cache-Control', 'no-store');
  next();
};

/** The headers every response starts with; `https` turns on Strict-Transport-Security. */
export function securityHeaders(options: { https: boolean }): RequestHandler[] {
  return [
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy },
      strictTransportSecurity: options.https ? { maxAge: strictTransportSecurityMaximumAgeSeconds, includeSubDomains: false } : false,
      xFrameOptions: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
    }),
    noStore,
  ];
}
