// POST /webhooks/stripe: verifies the signature over the raw body, then records and delivers the event.
// Mounted before any JSON parser. Answers 2xx only once the event is recorded and delivered (or known
// to need no delivery); any failure on the way is a 503, so Stripe delivers it again.
import express, { Router } from 'express';
import Stripe from 'stripe';
import { ApiError } from '../../domain/errors.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { handleStripeEvent } from '../webhooks/handle-stripe-event.ts';

/** Stripe's own default: a signature older than this is refused as a possible replay. */
export const webhookToleranceSeconds = 300;
/** Stripe's events are a few kilobytes; this leaves room without inviting abuse. */
const maximumWebhookBodySize = '1mb';

// Only the signature helpers are used: they need no API key.
const webhookVerifier = new Stripe('sk_test_signature_verification_only').webhooks;

export function stripeWebhookRoutes(dependencies: ApiDependencies): Router {
  const router = Router();
  router.post('/webhooks/stripe', express.raw({ type: () => true, limit: maximumWebhookBodySize }), async (request, response) => {
    const signature = request.get('stripe-signature');
    if (signature === undefined || signature === '') {
      throw new ApiError('invalid_signature', 'The Stripe-Signature header is missing.');
    }
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    let event: Stripe.Event;
    try {
      event = webhookVerifier.constructEvent(body, signature, dependencies.config.stripe.webhookSecret, webhookToleranceSeconds);
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      if (/tolerance/i.test(message)) {
        throw new ApiError('signature_expired', `The signature timestamp is more than ${webhookToleranceSeconds} seconds away.`);
      }
      throw new ApiError('invalid_signature', 'The Stripe-Signature does not match the body.');
    }
    try {
      const outcome = await handleStripeEvent({ ...dependencies, taskQueue: dependencies.config.temporal.taskQueue }, event);
      response.json({ received: true, outcome });
    } catch (error) {
      dependencies.logger.error({ err: error, stripeEventId: event.id }, 'stripe event not delivered; asking Stripe to retry');
      throw new ApiError('service_unavailable', 'The event could not be recorded or delivered; it will be retried.', undefined, {
        cause: error,
      });
    }
  });
  return router;
}
