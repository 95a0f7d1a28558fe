// The sandbox provider's payment page, used when no Stripe key is configured. Paying or declining here
// sends Stripe-format events, signed with the installation's webhook secret, to this API's own webhook
// route: the same path a real Stripe payment takes. No money moves. Never served in production.
//
// The Pay and Decline forms carry a CSRF token bound to the session and to a random cookie of the
// browser (SameSite=Lax, so another site's form posts without it), and the pages cannot be framed.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import Stripe from 'stripe';
import { getOrderCreditBalanceAfter } from '../../db/orders/get-order-credit-balance.ts';
import { getOrderRow } from '../../db/orders/get-order.ts';
import type { OrderRow } from '../../db/orders/order-row.ts';
import { completeSandboxSession, getSandboxSession, type SandboxSessionRow } from '../../db/sandbox/sandbox-sessions.ts';
import { ApiError } from '../../domain/errors.ts';
import { formatMicrosForPeople, isCurrency, minorUnitsToMicros } from '../../domain/money.ts';
import { orderStatusPhrase } from '../../domain/order-status-text.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { htmlBody } from '../openapi/objects.ts';
import { defineOperations, type ApiOperation } from '../openapi/operation.ts';
import { buildCheckoutEvent, type CheckoutEventType } from '../webhooks/stripe-event-format.ts';
import { escapeHtml, localTimeScriptHash, localTimeScriptTag, orderSummaryTable, readableTime, resultView } from './sandbox-views.ts';

const sessionIdPattern = /^cs_sandbox_[0-9a-z]{24}$/;
const signer = new Stripe('sk_test_signature_only').webhooks;
const webhookDeliveryTimeoutMilliseconds = 10_000;
export const csrfCookieName = 'refill_sandbox_csrf';
export const csrfFieldName = 'csrf_token';
const csrfCookieBytes = 32;
const csrfCookiePattern = /^[A-Za-z0-9_-]{43}$/;
// The pages show a payment and carry a CSRF token: not framed, not cached, their URL not passed on.
// One inline script (the local time of the expiry), allowed by its hash; nothing else runs.
const pageSecurityHeaders = {
  'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; script-src ${localTimeScriptHash}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

const pageStyle = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1f2937}
.banner{background:#fef3c7;border:1px solid #f59e0b;padding:.75rem 1rem;border-radius:.5rem}
.notice{background:#fee2e2;border:1px solid #b91c1c;padding:.75rem 1rem;border-radius:.5rem}
.amount{font-size:2rem;font-weight:600;margin:1.5rem 0}button{font-size:1rem;padding:.6rem 1.4rem;margin-right:.5rem;border-radius:.4rem;border:1px solid #6b7280;cursor:pointer}
.pay{background:#1d4ed8;color:white;border-color:#1d4ed8}table.summary{border-collapse:collapse;margin:1rem 0}
table.summary th{text-align:left;font-weight:normal;padding:.2rem 1.5rem .2rem 0}table.summary td{text-align:right}`;

function htmlPage(title: string, body: string, options: { banner: boolean; refreshSeconds?: number | null }): string {
  const refresh = options.refreshSeconds == null ? '' : `<meta http-equiv="refresh" content="${options.refreshSeconds}">`;
  const banner = options.banner
    ? '<p class="banner"><strong>Sandbox checkout.</strong> This page stands in for Stripe Checkout. No real money moves.</p>'
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">${refresh}<style>${pageStyle}</style></head><body>
${banner}<main>${body}</main>${localTimeScriptTag()}</body></html>`;
}

export function page(response: Response, status: number, title: string, body: string): void {
  response.status(status).set(pageSecurityHeaders).type('html').send(htmlPage(title, body, { banner: true }));
}

function formatMinorUnits(session: SandboxSessionRow): string {
  const currency = session.currency.toUpperCase();
  if (!isCurrency(currency)) return `${session.amount_total_minor_units} ${currency} (minor units)`;
  return `${formatMicrosForPeople(minorUnitsToMicros(session.amount_total_minor_units, currency), currency)} ${currency}`;
}

async function sessionOrNotFound(sql: ApiDependencies['sql'], id: string | string[] | undefined): Promise<SandboxSessionRow> {
  const session = typeof id === 'string' && sessionIdPattern.test(id) ? await getSandboxSession(sql, id) : null;
  if (session === null) throw new ApiError('not_found', 'No such sandbox checkout session.');
  return session;
}

/** The browser's CSRF cookie, when it sent a well-formed one. */
export function csrfCookieOf(request: Request): string | null {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, value] = part.trim().split('=');
    if (name === csrfCookieName && value !== undefined && csrfCookiePattern.test(value)) return value;
  }
  return null;
}

/** Signs (session, browser cookie) with a key derived from the installation's webhook secret. */
export function csrfSigner(webhookSecret: string): (sessionId: string, cookie: string) => string {
  const key = createHmac('sha256', webhookSecret).update('refill sandbox csrf tokens').digest();
  return (sessionId, cookie) => createHmac('sha256', key).update(`${sessionId}\n${cookie}`).digest('base64url');
}

export function sameText(left: string, right: string): boolean {
  const a = Buffer.from(left);
  const b = Buffer.from(right);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function sandboxRoutes(dependencies: ApiDependencies): Router {
  const { sql, config, logger } = dependencies;
  if (config.environment === 'production') throw new Error('the sandbox payment provider does not run when REFILL_ENV is production');
  const router = Router();
  router.use('/sandbox', express.urlencoded({ extended: false, limit: '1kb' }));
  const csrfToken = csrfSigner(config.stripe.webhookSecret);
  const secureCookie = config.api.publicBaseUrl.startsWith('https:');

  /** The browser's cookie, or a new one set on this response. */
  function browserCookie(request: Request, response: Response): string {
    const existing = csrfCookieOf(request);
    if (existing !== null) return existing;
    const cookie = randomBytes(csrfCookieBytes).toString('base64url');
    response.cookie(csrfCookieName, cookie, { httpOnly: true, sameSite: 'lax', secure: secureCookie, path: '/sandbox' });
    return cookie;
  }

  /** Refuses a form post that does not carry the token the page gave this browser for this session. */
  function requireCsrfToken(request: Request, sessionId: string): void {
    const cookie = csrfCookieOf(request);
    const sent = (request.body as Record<string, unknown> | undefined)?.[csrfFieldName];
    if (cookie === null || typeof sent !== 'string' || !sameText(sent, csrfToken(sessionId, cookie))) {
      throw new ApiError('forbidden', 'The form is not from this checkout page in this browser (CSRF check); open the checkout page again.');
    }
  }

  /** Signs an event as Stripe would and posts it to this API's webhook route. */
  async function sendEvent(type: CheckoutEventType, session: SandboxSessionRow): Promise<void> {
    const event = buildCheckoutEvent(type, {
      sessionId: session.id,
      orderId: session.order_id,
      status: session.status,
      paymentStatus: session.payment_status,
      amountTotal: Number(session.amount_total_minor_units),
      currency: session.currency,
      paymentIntentId: `pi_sandbox_${session.id.slice('cs_sandbox_'.length)}`,
    });
    const payload = JSON.stringify(event);
    const signature = signer.generateTestHeaderString({ payload, secret: config.stripe.webhookSecret });
    const response = await fetch(`${config.api.publicBaseUrl}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
      signal: AbortSignal.timeout(webhookDeliveryTimeoutMilliseconds),
    });
    if (!response.ok) throw new Error(`webhook answered ${response.status} for ${event.id}`);
  }

  router.get('/sandbox/checkout/:id', async (request, response) => {
    const session = await sessionOrNotFound(sql, request.params.id);
    const order = await getOrderRow(sql, session.order_id, null);
    const token = `<input type="hidden" name="${csrfFieldName}" value="${escapeHtml(csrfToken(session.id, browserCookie(request, response)))}">`;
    const declined = request.query.declined === '1';
    page(response, 200, 'Sandbox checkout', checkoutPageBody(session, order, token, declined));
  });

  // Paying completes the session, as Stripe does; the order is credited through the webhook route.
  router.post('/sandbox/checkout/:id/pay', async (request, response) => {
    const session = await sessionOrNotFound(sql, request.params.id);
    requireCsrfToken(request, session.id);
    const completed = await completeSandboxSession(sql, session.id, 'paid');
    if (completed === null) {
      page(response, 409, 'Sandbox checkout', '<h1>This checkout can no longer be paid.</h1>');
      return;
    }
    try {
      await sendEvent('checkout.session.completed', completed);
    } catch (error) {
      // The order still learns of the payment when its checkout expires (the provider reports it then).
      logger.error({ err: error, orderId: completed.order_id }, 'sandbox webhook delivery failed');
    }
    response.redirect(303, completed.success_url);
  });

  // A declined card, as in Stripe Checkout: the session stays open and the customer may try again until
  // it expires; nothing is sent, and the order stays pending.
  router.post('/sandbox/checkout/:id/decline', async (request, response) => {
    const session = await sessionOrNotFound(sql, request.params.id);
    requireCsrfToken(request, session.id);
    if (session.status !== 'open' || session.expires_at.getTime() <= Date.now()) {
      page(response, 409, 'Sandbox checkout', '<h1>This checkout can no longer be paid.</h1>');
      return;
    }
    response.redirect(303, `/sandbox/checkout/${session.id}?declined=1`);
  });
  return router;
}

/** The checkout page: what the order costs and brings, and Pay / Decline while it can be paid. */
function checkoutPageBody(session: SandboxSessionRow, order: OrderRow | null, token: string, declined: boolean): string {
  const open = session.status === 'open' && session.expires_at.getTime() > Date.now();
  const payable = open && order !== null && order.status === 'pending';
  const action = `/sandbox/checkout/${session.id}`;
  const heading = `<h1>Top-up payment</h1><p>Order <code>${escapeHtml(session.order_id)}</code></p>
<p class="amount">${escapeHtml(formatMinorUnits(session))}</p>${order === null ? '' : orderSummaryTable(order)}`;
  if (payable) {
    const notice = declined
      ? '<p class="notice" role="alert"><strong>The payment was declined.</strong> No money moved and the order is still open: you can try again.</p>'
      : '';
    return `${heading}${notice}
<form method="post" action="${action}/pay" style="display:inline">${token}<button class="pay" type="submit">Pay</button></form>
<form method="post" action="${action}/decline" style="display:inline">${token}<button type="submit">Decline</button></form>
<p>Decline stands for a card the bank refuses: the order stays open and you can pay again on this page.</p>
<p>This checkout expires ${readableTime(session.expires_at)}.</p>`;
  }
  if (session.status === 'complete' && session.payment_status === 'paid') return `${heading}<p>This checkout has been <strong>paid</strong>.</p>`;
  if (order !== null && order.status !== 'pending') {
    return `${heading}<p>The order ${escapeHtml(orderStatusPhrase(order.status))}; this checkout can no longer be paid.</p>`;
  }
  return `${heading}<p>This checkout has <strong>expired</strong>; nothing was charged.</p>`;
}

/**
 * Where Checkout sends the customer back when the client gave no URLs of its own: what the order paid and
 * credited and the balance after it, or its status while it is confirmed (the page reloads itself until
 * then), or why nothing was credited. The order id in the link is as hard to guess as a session id.
 */
export function checkoutReturnRoutes(dependencies: Pick<ApiDependencies, 'sql'>): Router {
  const { sql } = dependencies;
  const router = Router();
  router.get('/checkout/return', async (request, response) => {
    const returnedAs = request.query.result === 'success' ? 'success' : 'cancel';
    const orderId = typeof request.query.order_id === 'string' && /^ord_[0-9a-z]{24}$/.test(request.query.order_id) ? request.query.order_id : null;
    const order = orderId === null ? null : await getOrderRow(sql, orderId, null);
    const balanceAfter = order?.status === 'succeeded' ? await getOrderCreditBalanceAfter(sql, order.id) : null;
    const view = resultView(order, returnedAs, balanceAfter);
    response
      .status(200)
      .set(pageSecurityHeaders)
      .type('html')
      .send(htmlPage(view.title, view.body, { banner: false, refreshSeconds: view.refreshSeconds }));
  });
  return router;
}

const sandboxSessionParameters = z.object({ id: z.string().regex(sessionIdPattern).meta({ example: 'cs_sandbox_0123456789abcdefghijklmn' }) });
const sandboxForm = z.strictObject({ [csrfFieldName]: z.string().meta({ description: 'The token of the checkout page, bound to this browser\'s cookie.' }) });

/** Paying and declining share everything but what they send. */
function sandboxFormOperation(path: 'pay' | 'decline'): ApiOperation {
  return {
    method: 'post',
    path: `/sandbox/checkout/:id/${path}`,
    operationId: path === 'pay' ? 'paySandboxCheckout' : 'declineSandboxCheckout',
    summary:
      path === 'pay'
        ? 'Pay the sandbox checkout (sends checkout.session.completed)'
        : 'Decline the sandbox checkout: a card the bank refuses (nothing is sent; the order stays pending and can still be paid)',
    tag: 'Sandbox',
    access: 'public',
    pathParameters: sandboxSessionParameters,
    body: { schema: sandboxForm, contentType: 'application/x-www-form-urlencoded' },
    responses: {
      303: {
        description: path === 'pay' ? 'To the order\'s success URL.' : 'Back to the checkout page, which says the payment was declined (`?declined=1`).',
        headers: { Location: { description: 'Where the payer goes next.', schema: z.string() } },
      },
      409: { description: 'The checkout can no longer be paid (paid, expired, or its order closed).', contentType: 'text/html', schema: htmlBody },
    },
    errors: ['forbidden', 'rate_limited', 'payload_too_large'],
  };
}

/** The contract of these routes (api/openapi); mounted only without STRIPE_SECRET_KEY, never in production. */
export const sandboxOperations = defineOperations([
  {
    method: 'get',
    path: '/sandbox/checkout/:id',
    operationId: 'getSandboxCheckout',
    summary: 'The sandbox provider\'s checkout page (no real money moves)',
    tag: 'Sandbox',
    access: 'public',
    pathParameters: sandboxSessionParameters,
    query: z.object({
      declined: z.literal('1').optional().meta({ description: 'Set by Decline: the page says the payment was declined and offers Pay again.' }),
    }),
    responses: {
      200: {
        description: 'The page: Pay and Decline while the order can be paid, else what became of the checkout (paid, expired, or the order closed).',
        contentType: 'text/html',
        schema: htmlBody,
      },
    },
    errors: ['rate_limited'],
  },
  sandboxFormOperation('pay'),
  sandboxFormOperation('decline'),
]);

/** The contract of the checkout return page (api/openapi). */
export const checkoutReturnOperations = defineOperations([
  {
    method: 'get',
    path: '/checkout/return',
    operationId: 'getCheckoutReturn',
    summary: 'Where Checkout sends the payer back when the client gave no URLs of its own',
    tag: 'Sandbox',
    access: 'public',
    query: z.object({ order_id: z.string().optional(), result: z.enum(['success', 'cancel']).optional() }),
    responses: { 200: { description: 'A page saying what happened.', contentType: 'text/html', schema: htmlBody } },
    errors: ['rate_limited'],
  },
]);
