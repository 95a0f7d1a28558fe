// POST /webhooks/airwallex: verifies x-timestamp and x-signature over the raw body, checks the event's
// shape, then records and delivers it. Mounted before any JSON parser. Answers 2xx only once the event is
// recorded and delivered (or known to need no delivery); a signed event that can never be acted on is a
// 400; any failure on the way to recording or delivering it is a 503, so Airwallex delivers it again.
import express, { Router } from 'express';
import { ApiError } from '../../domain/errors.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { verifyAirwallexSignature } from '../webhooks/airwallex-event.ts';
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
