// What a portal session (ids/portal-sessions.ts) may do on /v1: the routes a customer uses in the billing
// portal, and nothing else. A portal token is a customer's browser credential, so it never reaches usage,
// holds or spend limits (the platform's own server work) even though it names the same account.
import type { Request } from 'express';

/** Method and Express path of every /v1 route a portal session may call. */
export const portalSessionRoutes: readonly (readonly [method: string, path: string])[] = [
  ['GET', '/v1/balance'],
  ['GET', '/v1/topup-options'],
  ['POST', '/v1/topup-quotes'],
  ['POST', '/v1/topups'],
  ['GET', '/v1/topups'],
  ['GET', '/v1/topups/:id'],
  ['POST', '/v1/topups/:id/cancel'],
  ['POST', '/v1/topups/:id/resume'],
  ['GET', '/v1/topups/:id/invoice'],
  ['POST', '/v1/topups/:id/refund-requests'],
  ['GET', '/v1/refunds'],
  ['GET', '/v1/refunds/:id'],
  ['GET', '/v1/refunds/:id/credit-note'],
  ['GET', '/v1/invoices'],
  ['GET', '/v1/account-flows'],
  ['GET', '/v1/payment-methods'],
  ['POST', '/v1/payment-methods/setup'],
  ['POST', '/v1/payment-methods/:id/default'],
  ['DELETE', '/v1/payment-methods/:id'],
  ['GET', '/v1/auto-recharge'],
  ['PUT', '/v1/auto-recharge'],
  ['GET', '/v1/balance-alerts'],
  ['PUT', '/v1/balance-alerts'],
];

/** `/v1/topups/:id` → a pattern matching one path segment per parameter. */
function patternOf(path: string): RegExp {
  const escaped = path.split('/').map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${escaped.join('/')}/?$`);
}

const allowed = portalSessionRoutes.map(([method, path]) => ({ method, pattern: patternOf(path) }));

/** Whether a portal session may make this request. HEAD is answered as GET, so it is allowed where GET is. */
export function portalSessionMayCall(request: Request): boolean {
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  // baseUrl + path is the whole path both under app.use('/v1') and on a route mounted at its full path.
  const path = `${request.baseUrl}${request.path}`;
  return allowed.some((route) => route.method === method && route.pattern.test(path));
}
