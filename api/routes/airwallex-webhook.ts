// POST /webhooks/airwallex: verifies x-timestamp and x-signature over the raw body, checks the event's
// shape, then records and delivers it. Mounted before any JSON parser. Answers 2xx only once the event is
// recorded and delivered (or known to need no delivery); a signed event that can never be acted on is a
// 400; any failure on the way to recording or delivering it is a 503, so Airwallex delivers it again.
import express, { Router } from 'express';
import { z } from 'zod';
import { ApiError } from '../../domain/errors.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { defineOperations } from '../openapi/operation.ts';
import { airwallexEventSchema, airwallexWebhookToleranceSeconds, verifyAirwallexSignature } from '../webhooks/airwallex-event.ts';
import { handleAirwallexEvent } from '../webhooks/handle-airwallex-event.ts';
import { InvalidStripeEvent } from '../webhooks/stripe-event-schema.ts';

/** Airwallex's events are a few kilobytes; this leaves room without inviting abuse. */
const maximumWebhookBodySize = '1mb';

/** The body as JSON; a signed body that is not JSON will never be, so it is an invalid event. */
function parseBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ApiError('invalid_event', 'The event is not valid JSON.', 'body');
  }
}

export function airwallexWebhookRoutes(dependencies: ApiDependencies): Router {
  const router = Router();
  router.post('/webhooks/airwallex', express.raw({ type: () => true, limit: maximumWebhookBodySize }), async (request, response) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    verifyAirwallexSignature(body, request.get('x-timestamp'), request.get('x-signature'), dependencies.config.airwallex.webhookSecret);
    const event = parseBody(body);
    try {
      const outcome = await handleAirwallexEvent({ ...dependencies, taskQueue: dependencies.config.temporal.taskQueue, refunds: dependencies.config.refunds }, event);
      response.json({ received: true, outcome });
    } catch (error) {
      if (error instanceof InvalidStripeEvent) {
        dependencies.logger.warn({ field: error.field, reason: error.reason }, 'signed airwallex event refused: invalid');
        throw new ApiError('invalid_event', error.message, error.field);
      }
      dependencies.logger.error({ err: error }, 'airwallex event not delivered; asking Airwallex to retry');
      throw new ApiError('service_unavailable', 'The event could not be recorded or delivered; it will be retried.', undefined, { cause: error });
    }
  });
  return router;
}

/** x-timestamp and x-signature, as the contract shows them: the route checks them before reading the body. */
const airwallexSignatureHeaders = z.object({
  'x-timestamp': z.string().meta({ description: 'When Airwallex signed the event, in Unix milliseconds.', example: '1764590400000' }),
  'x-signature': z.string().meta({
    description: 'HMAC-SHA256, in hex, of x-timestamp followed by the raw body, keyed with AIRWALLEX_WEBHOOK_SECRET.',
    example: '9f2c4b6e8a0d1f3e5c7b9a1d3f5e7c9b1a3d5f7e9c1b3a5d7f9e1c3b5a7d9f1e',
  }),
});

/** The contract of this route (api/openapi). */
export const airwallexWebhookOperations = defineOperations([
  {
    method: 'post',
    path: '/webhooks/airwallex',
    operationId: 'receiveAirwallexEvent',
    summary: 'Airwallex\'s events, signed (x-timestamp, x-signature)',
    description:
      `Verified over the raw body (${airwallexWebhookToleranceSeconds} s tolerance, in the past and the future), checked, recorded by its id and delivered to its order ` +
      '(payment_intent.succeeded, payment_intent.cancelled) or the refund machinery (refund.*); other types are recorded and ignored. ' +
      'Answers 2xx only once that is durable; a 4xx tells Airwallex the event will never be accepted; a 503 asks it to retry.',
    tag: 'Webhooks',
    access: 'stripe',
    headers: airwallexSignatureHeaders,
    body: {
      schema: airwallexEventSchema,
      example: {
        id: 'evt_hkdmr6rw5g2e5h2ma2k',
        name: 'payment_intent.succeeded',
        created_at: '2026-12-01T12:00:00+0000',
        data: { object: { id: 'int_hkdmr6rw5g2e5h2ma2k', merchant_order_id: 'ord_0123456789abcdefghijklmn', amount: 700, currency: 'CNY', status: 'SUCCEEDED' } },
      },
    },
    responses: {
      200: {
        description: 'Recorded, and delivered or known to need no delivery.',
        schema: z.object({
          received: z.literal(true),
          outcome: z.string().meta({ description: 'What became of it: delivered, unknown_order, order_closed, ignored_type, payment_exception, ignored_duplicate, refund_….' }),
        }),
      },
    },
    errors: ['invalid_signature', 'signature_expired', 'invalid_event'],
  },
]);
