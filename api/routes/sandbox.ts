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
import { completeSandboxSession, getSandboxSession, type SandboxSessionRow } from '../../db/sandbox/sandbox-sessions.ts';
import { ApiError } from '../../domain/errors.ts';
import { formatMicrosForPeople, isCurrency, minorUnitsToMicros } from '../../domain/money.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { htmlBody } from '../openapi/objects.ts';
import { defineOperations, type ApiOperation } from '../openapi/operation.ts';
import { buildCheckoutEvent, type CheckoutEventType } from '../webhooks/stripe-event-format.ts';

const sessionIdPattern = /^cs_sandbox_[0-9a-z]{24}$/;
const signer = new Stripe('sk_test_signature_only').webhooks;
const webhookDeliveryTimeoutMilliseconds = 10_000;
const csrfCookieName = 'refill_sandbox_csrf';
const csrfFieldName = 'csrf_token';
const csrfCookieBytes = 32;
const csrfCookiePattern = /^[A-Za-z0-9_-]{43}$/;
// The pages show a payment and carry a CSRF token: not framed, not cached, their URL not passed on.
const pageSecurityHeaders = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function page(response: Response, status: number, title: string, body: string): void {
  response
    .status(status)
    .set(pageSecurityHeaders)
    .type('html')
    .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1f2937}
.banner{background:#fef3c7;border:1px solid #f59e0b;padding:.75rem 1rem;border-radius:.5rem}
.amount{font-size:2rem;font-weight:600;margin:1.5rem 0}button{font-size:1rem;padding:.6rem 1.4rem;margin-right:.5rem;border-radius:.4rem;border:1px solid #9ca3af;cursor:pointer}
.pay{background:#2563eb;color:white;border-color:#2563eb}</style></head><body>
<p class="banner"><strong>Sandbox checkout.</strong> This page stands in for Stripe Checkout. No real money moves.</p>${body}</body></html>`);
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
function csrfCookieOf(request: Request): string | null {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, value] = part.trim().split('=');
    if (name === csrfCookieName && value !== undefined && csrfCookiePattern.test(value)) return value;
  }
  return null;
}

/** Signs (session, browser cookie) with a key derived from the installation's webhook secret. */
function csrfSigner(webhookSecret: string): (sessionId: string, cookie: string) => string {
  const key = createHmac('sha256', webhookSecret).update('refill sandbox csrf tokens').digest();
  return (sessionId, cookie) => createHmac('sha256', key).update(`${sessionId}\n${cookie}`).digest('base64url');
}

function sameText(left: string, right: string): boolean {
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
    const open = session.status === 'open' && session.expires_at.getTime() > Date.now();
    const action = `/sandbox/checkout/${session.id}`;
    const token = `<input type="hidden" name="${csrfFieldName}" value="${escapeHtml(csrfToken(session.id, browserCookie(request, response)))}">`;
    page(
      response,
      200,
      'Sandbox checkout',
      `<h1>Top-up payment</h1><p>Order <code>${escapeHtml(session.order_id)}</code></p>
<p class="amount">${escapeHtml(formatMinorUnits(session))}</p>
${
  open
    ? `<form method="post" action="${action}/pay" style="display:inline">${token}<button class="pay" type="submit">Pay</button></form>
<form method="post" action="${action}/decline" style="display:inline">${token}<button type="submit">Decline</button></form>
<p>Expires ${escapeHtml(session.expires_at.toISOString())}.</p>`
    : `<p>This checkout is <strong>${escapeHtml(session.status === 'open' ? 'expired' : session.status)}</strong>${
        session.status === 'complete' ? ` (${escapeHtml(session.payment_status)})` : ''
      }.</p>`
}`,
    );
  });

  for (const [path, paymentStatus] of [
    ['pay', 'paid'],
    ['decline', 'unpaid'],
  ] as const) {
    router.post(`/sandbox/checkout/:id/${path}`, async (request, response) => {
      const session = await sessionOrNotFound(sql, request.params.id);
      requireCsrfToken(request, session.id);
      const completed = await completeSandboxSession(sql, session.id, paymentStatus);
      if (completed === null) {
        page(response, 409, 'Sandbox checkout', '<h1>This checkout can no longer be paid.</h1>');
        return;
      }
      try {
        await sendEvent('checkout.session.completed', completed);
        // A declined payment is modelled as a delayed payment method that then fails.
        if (paymentStatus === 'unpaid') await sendEvent('checkout.session.async_payment_failed', completed);
      } catch (error) {
        // The order still learns of the payment when its checkout expires (the provider reports it then).
        logger.error({ err: error, orderId: completed.order_id }, 'sandbox webhook delivery failed');
      }
      response.redirect(303, paymentStatus === 'paid' ? completed.success_url : completed.cancel_url);
    });
  }
  return router;
}

/** Where Checkout sends the customer back when the client gave no URLs of its own. */
export function checkoutReturnRoutes(): Router {
  const router = Router();
  router.get('/checkout/return', (request, response) => {
    const succeeded = request.query.result === 'success';
    const orderId = typeof request.query.order_id === 'string' ? request.query.order_id.slice(0, 40) : '';
    response
      .set(pageSecurityHeaders)
      .type('html')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Top-up</title></head><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto">` +
          `<h1>${succeeded ? 'Payment received' : 'Payment not completed'}</h1>` +
          `<p>Order <code>${escapeHtml(orderId)}</code>. ${
            succeeded ? 'Your balance rises as soon as the payment is confirmed.' : 'You can resume or cancel the order.'
          }</p></body></html>`,
      );
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
    summary: path === 'pay' ? 'Pay the sandbox checkout (sends checkout.session.completed)' : 'Decline the sandbox checkout (the payment fails)',
    tag: 'Sandbox',
    access: 'public',
    pathParameters: sandboxSessionParameters,
    body: { schema: sandboxForm, contentType: 'application/x-www-form-urlencoded' },
    responses: {
      303: { description: 'To the order\'s success or cancel URL.', headers: { Location: { description: 'Where the payer goes next.', schema: z.string() } } },
      409: { description: 'The checkout can no longer be paid.', contentType: 'text/html', schema: htmlBody },
    },
    errors: ['forbidden', 'rate_limited'],
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
    responses: { 200: { description: 'The page, with Pay and Decline.', contentType: 'text/html', schema: htmlBody } },
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
