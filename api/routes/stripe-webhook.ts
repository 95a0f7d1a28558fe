// POST /webhooks/stripe: verifies the signature over the raw body, checks the event's shape, then records
// and delivers it. Mounted before any JSON parser. Answers 2xx only once the event is recorded and
// delivered (or known to need no delivery); a signed event that can never be acted on is a 400, which
// Stripe does not retry; any failure on the way to recording or delivering it is a 503, so Stripe
// delivers it again.
import express, { Router } from 'express';
import Stripe from 'stripe';
import { ApiError } from '../../domain/errors.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { handleStripeEvent } from '../webhooks/handle-stripe-event.ts';
import { savedCardProvider } from '../payment-methods/saved-card-provider.ts';
import { eventSchema, InvalidStripeEvent } from '../webhooks/stripe-event-schema.ts';
import { defineOperations } from '../openapi/operation.ts';
import { webhookEvents } from '../../observability/metrics.ts';
import { z } from 'zod';

/** Stripe's own default: a signature older than this is refused as a possible replay; one as far ahead, too. */
export const webhookToleranceSeconds = 300;
/** Stripe's events are a few kilobytes; this leaves room without inviting abuse. */
const maximumWebhookBodySize = '1mb';

// Only the signature helpers are used: they need no API key.
const signatureVerifier = present(new Stripe('sk_test_signature_verification_only').webhooks.signature);

function present<Value>(value: Value | null): Value {
  if (value === null) throw new Error('this version of the stripe package has no webhook signature verifier');
  return value;
}

/**
 * The timestamp the signature is over, or null when the header does not carry exactly one `t` of
 * digits. Stripe's library reads the last `t` with parseInt, which takes `t=12abc` as 12 and `t=abc`
 * as NaN (then checking no time at all); Stripe itself sends one plain integer.
 */
function signatureTimestampSeconds(header: string): number | null {
  const timestamps = header
    .split(',')
    .map((item) => item.split('='))
    .filter(([key]) => key === 't');
  if (timestamps.length !== 1 || timestamps[0]!.length !== 2 || !/^\d{1,12}$/.test(timestamps[0]![1]!)) return null;
  return Number(timestamps[0]![1]);
}

/** Verifies the signature and its timestamp in both directions; throws the route's error when either fails. */
function verifySignature(body: Buffer, header: string, secret: string): void {
  const timestampSeconds = signatureTimestampSeconds(header);
  if (timestampSeconds === null) throw new ApiError('invalid_signature', 'The Stripe-Signature header has no valid timestamp.');
  try {
    signatureVerifier.verifyHeader(body, header, secret, webhookToleranceSeconds);
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    if (/tolerance/i.test(message)) {
      throw new ApiError('signature_expired', `The signature timestamp is more than ${webhookToleranceSeconds} seconds in the past.`);
    }
    throw new ApiError('invalid_signature', 'The Stripe-Signature does not match the body.');
  }
  // Stripe's library checks only the past: a captured request signed for later would replay until then.
  if (timestampSeconds - Date.now() / 1000 > webhookToleranceSeconds) {
    throw new ApiError('signature_expired', `The signature timestamp is more than ${webhookToleranceSeconds} seconds in the future.`);
  }
}

/** The body as JSON; a signed body that is not JSON will never be, so it is an invalid event. */
function parseBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ApiError('invalid_event', 'The event is not valid JSON.', 'body');
  }
}

export function stripeWebhookRoutes(dependencies: ApiDependencies): Router {
  const router = Router();
  router.post('/webhooks/stripe', express.raw({ type: () => true, limit: maximumWebhookBodySize }), async (request, response) => {
    const signature = request.get('stripe-signature');
    if (signature === undefined || signature === '') {
      countEvent(null, 'invalid_signature');
      throw new ApiError('invalid_signature', 'The Stripe-Signature header is missing.');
    }
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    try {
      verifySignature(body, signature, dependencies.config.stripe.webhookSecret);
    } catch (error) {
      if (error instanceof ApiError) countEvent(null, error.code);
      throw error;
    }
    const event = parseBody(body);
    try {
      const outcome = await handleStripeEvent({ ...dependencies, taskQueue: dependencies.config.temporal.taskQueue, refunds: dependencies.config.refunds, savedCards: savedCardProvider(dependencies.config, dependencies.sql) }, event);
      countEvent(event, outcome);
      response.json({ received: true, outcome });
    } catch (error) {
      if (error instanceof InvalidStripeEvent) {
        countEvent(event, 'invalid_event');
        dependencies.logger.warn({ field: error.field, reason: error.reason }, 'signed stripe event refused: invalid');
        throw new ApiError('invalid_event', error.message, error.field);
      }
      countEvent(event, 'not_delivered');
      dependencies.logger.error({ err: error, stripeEventId: eventIdForLog(event) }, 'stripe event not delivered; asking Stripe to retry');
      throw new ApiError('service_unavailable', 'The event could not be recorded or delivered; it will be retried.', undefined, {
        cause: error,
      });
    }
  });
  return router;
}

/** Stripe's type names (`checkout.session.completed`); anything else is counted as `other`. */
const eventTypePattern = /^[a-z_]{1,40}(\.[a-z_]{1,40}){1,3}$/;

/**
 * Counts the event in refill_webhook_events_total. Only a verified body's type is a label (a closed
 * set of Stripe's names); an unverified request is counted as `unverified`, whatever it claims.
 */
function countEvent(event: unknown, outcome: string): void {
  const claimed = typeof event === 'object' && event !== null ? (event as { type?: unknown }).type : undefined;
  const type = event === null ? 'unverified' : typeof claimed === 'string' && eventTypePattern.test(claimed) ? claimed : 'other';
  webhookEvents.inc({ provider: 'stripe', type, outcome });
}

/** The event's id for a log line, read defensively: the body may be any JSON value. */
function eventIdForLog(event: unknown): string | null {
  const id = typeof event === 'object' && event !== null ? (event as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id.slice(0, 255) : null;
}

/** Stripe-Signature, as the contract shows it: the route reads it before anything else. */
export const stripeSignatureHeader = z.object({
  'Stripe-Signature': z.string().meta({ description: '`t=<unix seconds>,v1=<hex HMAC-SHA256>`, as Stripe signs.', example: 't=1764590400,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd' }),
});

/** The contract of this route (api/openapi). */
export const stripeWebhookOperations = defineOperations([
  {
    method: 'post',
    path: '/webhooks/stripe',
    operationId: 'receiveStripeEvent',
    summary: 'Stripe\'s events, signed (Stripe-Signature)',
    description:
      'Verified over the raw body (300 s tolerance, in the past and the future), checked, recorded by its id and signalled to its order. ' +
      'Answers 2xx only once that is durable; a 4xx tells Stripe never to retry; a 503 asks it to.',
    tag: 'Webhooks',
    access: 'stripe',
    headers: stripeSignatureHeader,
    body: { schema: eventSchema, example: { id: 'evt_1QbWxY2eZvKYlo2C', type: 'checkout.session.completed', created: 1764590400, data: { object: { id: 'cs_test_a1' } } } },
    responses: {
      200: {
        description: 'Recorded, and delivered or known to need no delivery.',
        schema: z.object({
          received: z.literal(true),
          outcome: z.string().meta({ description: 'What became of it: delivered, unknown_order, order_closed, ignored_type, payment_exception, ignored_duplicate, refund_…, dispute_….' }),
        }),
      },
    },
    errors: ['invalid_signature', 'signature_expired', 'invalid_event'],
  },
]);

