// Outgoing webhooks: what Refill tells a platform, and the rules of delivering it. No side effects.
//
// Glossary:
//   endpoint  - a URL of the platform, with the event types it subscribes to and its signing secret.
//   event     - one fact (`topup.succeeded`, `balance.low`, …), written in the transaction of the state
//               change it reports (the outbox, migration 0014), never edited.
//   delivery  - one event for one endpoint: pending until a 2xx answer (delivered) or until retries
//               run out (failed). An event has one delivery per endpoint subscribed when it was written.
//   attempt   - one POST of a delivery, with its status code, latency and error.

/** Every event type Refill writes today; endpoints may also subscribe to '*'. */
export const webhookEventTypes = [
  'topup.succeeded',
  'topup.failed',
  'topup.expired',
  'topup.cancelled',
  'topup.needs_review',
  'invoice.issued',
  'balance.low',
  'balance.recovered',
  'balance.depleted',
  'refund.requested',
  'refund.approved',
  'refund.rejected',
  'refund.processing',
  'refund.succeeded',
  'refund.failed',
  'dispute.open',
  'dispute.won',
  'dispute.lost',
  'payment_exception.opened',
  'auto_recharge.succeeded',
  'auto_recharge.failed',
  'auto_recharge.paused',
  'auto_recharge.disabled',
  'webhook_endpoint.test',
] as const;

export type WebhookEventType = (typeof webhookEventTypes)[number];

export const webhookDeliveryStatuses = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatuses)[number];

/** How long a delivery is retried, and how long an endpoint may fail before it is disabled. */
export const webhookRetryWindow_ms = 3 * 24 * 3_600_000;

/** The longest wait between two attempts of a delivery. */
export const maximumWebhookRetryDelay_ms = 6 * 3_600_000;

/** An endpoint subscribes to at most this many types. */
export const maximumWebhookEventTypesPerEndpoint = 50;

/**
 * The wait before the attempt after `attemptsMade` failed ones: the first delay, doubled each time,
 * capped at six hours. With a 30 s first delay, attempts continue through the three days about 16 times.
 */
export function webhookRetryDelay_ms(attemptsMade: number, firstDelay_ms: number): number {
  const exponent = Math.min(Math.max(attemptsMade - 1, 0), 30);
  return Math.min(firstDelay_ms * 2 ** exponent, maximumWebhookRetryDelay_ms);
}

/** Whether an endpoint subscribed to `events` receives an event of `type`. */
export function endpointReceives(events: readonly string[], type: string): boolean {
  return events.includes('*') || events.includes(type);
}

/** Which destinations deliveries may reach: public addresses only, also loopback (npm start), or any. */
export const webhookDestinationPolicies = ['public', 'loopback', 'any'] as const;
export type WebhookDestinationPolicy = (typeof webhookDestinationPolicies)[number];
