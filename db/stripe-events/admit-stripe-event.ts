// Decides whether a recorded checkout event is signalled to its order's workflow. Every signal stays in
// the workflow's history (Temporal bounds a history at 51,200 events), so events that change nothing are
// capped per order; an event that may change the order is always signalled. One transaction under a
// per-order advisory lock, so concurrent deliveries are counted one after another.
import type { Sql } from '../client.ts';

export interface AdmitStripeEventInput {
  eventId: string;
  orderId: string;
  /** What the event tells the order, without its id (api/webhooks/stripe-event-format.ts). */
  contentKey: string;
  /** Whether the order, as its row shows it, ignores the event (another session; nothing new for a closed order). */
  ignoredByOrder: boolean;
  /** How many events that change nothing one order is signalled at most. */
  maximumNoOpSignals: number;
}

/** `signal`: may change the order; `signal_no_op`: changes nothing, within the cap; `over_cap`: not signalled. */
export type StripeEventAdmission = 'signal' | 'signal_no_op' | 'over_cap';

export async function admitStripeEvent(sql: Sql, input: AdmitStripeEventInput): Promise<StripeEventAdmission> {
  return sql.begin(async (transaction) => {
    await transaction`select pg_advisory_xact_lock(hashtextextended(${`stripe_events:${input.orderId}`}, 0))`;
    const [event] = await transaction<{ no_op: boolean | null; outcome: string | null }[]>`
      select no_op, outcome from stripe_events where id = ${input.eventId}`;
    // A redelivery keeps the decision taken at its first delivery.
    if (event !== undefined && event.no_op !== null) {
      if (event.outcome === 'ignored_duplicate') return 'over_cap';
      return event.no_op ? 'signal_no_op' : 'signal';
    }
    const [{ duplicate } = { duplicate: false }] = await transaction<{ duplicate: boolean }[]>`
      select exists (
        select 1 from stripe_events
        where order_id = ${input.orderId} and content_key = ${input.contentKey} and id <> ${input.eventId}
      ) as duplicate`;
    if (!duplicate && !input.ignoredByOrder) {
      await transaction`update stripe_events set content_key = ${input.contentKey}, no_op = false where id = ${input.eventId}`;
      return 'signal';
    }
    const [{ signalled } = { signalled: 0 }] = await transaction<{ signalled: number }[]>`
      select count(*)::int as signalled from stripe_events
      where order_id = ${input.orderId} and no_op and outcome is distinct from 'ignored_duplicate'`;
    if (signalled >= input.maximumNoOpSignals) {
      await transaction`
        update stripe_events set content_key = ${input.contentKey}, no_op = true, outcome = 'ignored_duplicate', delivered_at = now()
        where id = ${input.eventId}`;
      return 'over_cap';
    }
    await transaction`update stripe_events set content_key = ${input.contentKey}, no_op = true where id = ${input.eventId}`;
    return 'signal_no_op';
  });
}
