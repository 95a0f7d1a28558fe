// The sandbox provider's "Save card" page, used when no Stripe key is configured: it stands in for
// Checkout in setup mode and offers the sandbox's test cards (activities/payments/sandbox-cards.ts).
// Saving sends a signed, Stripe-format checkout.session.completed (mode "setup") to this API's own
// webhook route, the path a real setup takes. Never served in production. CSRF as on the checkout page.
import { randomBytes } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import Stripe from 'stripe';
import { z } from 'zod';
import { sandboxCardOf, sandboxCards } from '../../activities/payments/sandbox-cards.ts';
import { completeSandboxSetupSession, getSandboxSetupSession, type SandboxSetupSessionRow } from '../../db/sandbox/sandbox-setup-sessions.ts';
import { ApiError } from '../../domain/errors.ts';
import { randomToken } from '../../ids/ids.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { htmlBody } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import { csrfCookieName, csrfCookieOf, csrfFieldName, csrfSigner, page, sameText } from './sandbox.ts';
import { escapeHtml } from './sandbox-views.ts';

const setupSessionIdPattern = /^cs_sandbox_setup_[0-9a-z]{24}$/;
const signer = new Stripe('sk_test_signature_only').webhooks;
const webhookDeliveryTimeoutMilliseconds = 10_000;
const csrfCookieBytes = 32;

/** The event Stripe sends when a setup-mode Checkout Session completes, as the sandbox sends it. */
export function buildSetupCompletedEvent(session: SandboxSetupSessionRow) {
  const created = Math.floor(Date.now() / 1000);
  return {
    id: `evt_${randomToken()}`,
    object: 'event',
    api_version: '2025-03-31.basil',
    created,
    livemode: false,
    type: 'checkout.session.completed',
    data: {
      object: {
        id: session.id,
        object: 'checkout.session',
        mode: 'setup',
        client_reference_id: null,
        customer: session.provider_customer_id,
        metadata: { account_id: session.account_id, purpose: 'save_payment_method' },
        status: 'complete',
        payment_status: 'no_payment_required',
        amount_total: null,
        currency: null,
        payment_intent: null,
        setup_intent: `seti_sandbox_${session.id.slice(-24)}`,
        created,
      },
    },
  };
}

async function sessionOrNotFound(sql: ApiDependencies['sql'], id: string | string[] | undefined): Promise<SandboxSetupSessionRow> {
  const session = typeof id === 'string' && setupSessionIdPattern.test(id) ? await getSandboxSetupSession(sql, id) : null;
  if (session === null) throw new ApiError('not_found', 'No such sandbox setup session.');
  return session;
}

export function sandboxSetupRoutes(dependencies: ApiDependencies): Router {
  const { sql, config, logger } = dependencies;
  if (config.environment === 'production') throw new Error('the sandbox payment provider does not run when REFILL_ENV is production');
  const router = Router();
  router.use('/sandbox/setup', express.urlencoded({ extended: false, limit: '1kb' }));
  const csrfToken = csrfSigner(config.stripe.webhookSecret);

  function browserCookie(request: Request, response: Response): string {
    const existing = csrfCookieOf(request);
    if (existing !== null) return existing;
    const cookie = randomBytes(csrfCookieBytes).toString('base64url');
    response.cookie(csrfCookieName, cookie, { httpOnly: true, sameSite: 'lax', secure: config.api.publicBaseUrl.startsWith('https:'), path: '/sandbox' });
    return cookie;
  }

  async function sendEvent(session: SandboxSetupSessionRow): Promise<void> {
    const payload = JSON.stringify(buildSetupCompletedEvent(session));
    const signature = signer.generateTestHeaderString({ payload, secret: config.stripe.webhookSecret });
    const response = await fetch(`${config.api.publicBaseUrl}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
      signal: AbortSignal.timeout(webhookDeliveryTimeoutMilliseconds),
    });
    if (!response.ok) throw new Error(`webhook answered ${response.status} for setup session ${session.id}`);
  }

  router.get('/sandbox/setup/:id', async (request, response) => {
    const session = await sessionOrNotFound(sql, request.params.id);
    const open = session.status === 'open' && session.expires_at.getTime() > Date.now();
    const token = `<input type="hidden" name="${csrfFieldName}" value="${escapeHtml(csrfToken(session.id, browserCookie(request, response)))}">`;
    const forms = sandboxCards
      .map(
        (card) =>
          `<form method="post" action="/sandbox/setup/${session.id}/save">${token}<input type="hidden" name="card" value="${card.key}"><button type="submit">${escapeHtml(card.label)}</button></form>`,
      )
      .join('\n');
    page(
      response,
      200,
      'Sandbox: save card',
      `<h1>Save card</h1><p>Choose a test card to save for future top-ups.</p>${
        open ? `${forms}<p>Expires ${escapeHtml(session.expires_at.toISOString())}.</p>` : `<p>This setup is <strong>${escapeHtml(session.status === 'open' ? 'expired' : session.status)}</strong>.</p>`
      }`,
    );
  });

  router.post('/sandbox/setup/:id/save', async (request, response) => {
    const session = await sessionOrNotFound(sql, request.params.id);
    const form = (request.body ?? {}) as Record<string, unknown>;
    const cookie = csrfCookieOf(request);
    const sent = form[csrfFieldName];
    if (cookie === null || typeof sent !== 'string' || !sameText(sent, csrfToken(session.id, cookie))) {
      throw new ApiError('forbidden', 'The form is not from this setup page in this browser (CSRF check); open the setup page again.');
    }
    const card = typeof form.card === 'string' ? sandboxCardOf(form.card) : null;
    if (card === null) throw new ApiError('invalid_field', `card must be one of ${sandboxCards.map((each) => each.key).join(', ')}.`, 'card');
    const completed = await completeSandboxSetupSession(sql, session.id, card.key);
    if (completed === null) {
      page(response, 409, 'Sandbox: save card', '<h1>This setup can no longer be completed.</h1>');
      return;
    }
    try {
      await sendEvent(completed);
    } catch (error) {
      logger.error({ err: error, accountId: completed.account_id }, 'sandbox setup webhook delivery failed');
    }
    response.redirect(303, completed.success_url);
  });
  return router;
}

const setupSessionParameters = z.object({ id: z.string().regex(setupSessionIdPattern).meta({ example: 'cs_sandbox_setup_0123456789abcdefghijklmn' }) });
const saveForm = z.strictObject({
  [csrfFieldName]: z.string().meta({ description: 'The token of the setup page, bound to this browser\'s cookie.' }),
  card: z.enum(sandboxCards.map((card) => card.key) as [string, ...string[]]).meta({ description: 'The test card to save (activities/payments/sandbox-cards.ts).' }),
});

/** The contract of these routes (api/openapi); mounted only in sandbox mode, never in production. */
export const sandboxSetupOperations = defineOperations([
  {
    method: 'get',
    path: '/sandbox/setup/:id',
    operationId: 'getSandboxSetup',
    summary: 'The sandbox provider\'s Save card page (stands in for Checkout in setup mode)',
    tag: 'Sandbox',
    access: 'public',
    pathParameters: setupSessionParameters,
    responses: { 200: { description: 'The page, with one button per test card.', contentType: 'text/html', schema: htmlBody } },
    errors: ['rate_limited'],
  },
  {
    method: 'post',
    path: '/sandbox/setup/:id/save',
    operationId: 'saveSandboxSetupCard',
    summary: 'Save a test card (sends a signed checkout.session.completed in setup mode)',
    tag: 'Sandbox',
    access: 'public',
    pathParameters: setupSessionParameters,
    body: { schema: saveForm, contentType: 'application/x-www-form-urlencoded' },
    responses: {
      303: { description: 'To the setup\'s success URL.', headers: { Location: { description: 'Where the customer goes next.', schema: z.string() } } },
      409: { description: 'The setup can no longer be completed.', contentType: 'text/html', schema: htmlBody },
    },
    errors: ['forbidden', 'invalid_field', 'rate_limited', 'payload_too_large', 'unsupported_media_type'],
  },
]);
