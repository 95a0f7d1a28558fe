// The webhooks Refill sends (OpenAPI 3.1 `webhooks`): what a subscriber's endpoint receives, as the
// worker's dispatcher posts it (worker/webhooks/post-event.ts, the body from render-event.ts and the
// Refill-Signature header from signature.ts). It describes requests Refill makes, not routes it serves,
// so neither the contract check of answers nor the fuzzers read it. Owns no state.
import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { webhookEventTypes } from '../../domain/webhooks.ts';

export const refillSignatureDescription =
  'The signature of the delivery, `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with the ' +
  'endpoint\'s secret (`whsec_…`, shown once when the endpoint is created). The scheme is Stripe\'s, so ' +
  '`stripe.webhooks.constructEvent(body, header, secret)` verifies it unchanged. Verify it over the exact ' +
  'bytes received, and refuse a `t` too far from now to stop replays.';

const refillSignatureHeader = z
  .string()
  .regex(/^t=\d+,v1=[0-9a-f]{64}$/)
  .meta({ description: refillSignatureDescription, example: 't=1764590400,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd' });

/** The event types, one schema for the document's every use (its `id` may be registered once). */
export const webhookEventType = z.enum(webhookEventTypes).meta({ id: 'WebhookEventType' });

export const webhookEventObject = z
  .object({
    id: z.string().meta({ description: 'The event\'s id: the same on every attempt and redelivery, so a receiver can drop repeats.', example: 'evt_0123456789abcdef0123456789abcdef' }),
    type: webhookEventType,
    created: z.number().int().meta({ description: 'When the change happened, in Unix seconds.', example: 1764590400 }),
    account_id: z.string().nullable().meta({ description: 'The account it concerns; null for webhook_endpoint.test.', example: 'acct_0123456789abcdefghijklmn' }),
    data: z.record(z.string(), z.unknown()).meta({
      description:
        'The object the event reports, as the API shows it: an order (topup.*) as GET /v1/topups/{id}, an invoice (invoice.issued) as ' +
        'GET /v1/invoices, a refund (refund.*) as GET /v1/refunds/{id}; other objects show their fields, money as decimal strings.',
    }),
  })
  .meta({ id: 'WebhookEvent', description: 'One event, as a subscribed endpoint receives it.' });

/** One entry: every event has the same envelope, and `type` says which it is. */
export const outgoingWebhooks: ZodOpenApiPathsObject = {
  refillEvent: {
    post: {
      operationId: 'receiveRefillEvent',
      summary: 'An event Refill posts to a subscribed webhook endpoint (POST /admin/webhook-endpoints)',
      description:
        'Sent for each event type the endpoint subscribes to. Any 2xx answer within the timeout marks the delivery delivered; anything ' +
        'else is retried with growing waits (at most six hours apart) for three days, after which the endpoint is disabled. ' +
        'Deliveries may repeat or arrive out of order: use `id` and `created`.',
      tags: ['Ops: webhooks'],
      requestParams: {
        header: z.object({ 'Refill-Signature': refillSignatureHeader, 'User-Agent': z.literal('Refill-Webhooks/1') }),
      },
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: webhookEventObject,
            example: { id: 'evt_0123456789abcdef0123456789abcdef', type: 'webhook_endpoint.test', created: 1764590400, account_id: null, data: { endpoint_id: 'we_0123456789abcdefghijklmn' } },
          },
        },
      },
      responses: {
        '2XX': { description: 'Received: the delivery is done.' },
        default: { description: 'Anything else (or no answer): the delivery is retried.' },
      },
    },
  },
};
