// Records what became of a webhook event: delivered to its workflow, or why not.
import type { Sql } from '../client.ts';

/**
 * flagged_for_review is what earlier releases recorded; payment_exception replaced it. ignored_duplicate:
 * the event changes nothing and its order had reached the cap of such events, so it was not signalled.
 */
export type StripeEventOutcome =
  | 'delivered'
  | 'unknown_order'
  | 'order_closed'
  | 'ignored_type'
  | 'flagged_for_review'
  | 'payment_exception'
  | 'ignored_duplicate'
  /** Refunds and disputes (migration 0011, api/webhooks/handle-refund-events.ts). */
  | 'refund_delivered'
  | 'refund_recorded'
  | 'refund_closed'
  | 'dispute_delivered'
  | 'dispute_closed';

export async function markStripeEvent(sql: Sql, eventId: string, outcome: StripeEventOutcome): Promise<void> {
  await sql`update stripe_events set outcome = ${outcome}, delivered_at = now() where id = ${eventId}`;
}
