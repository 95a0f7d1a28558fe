// Records a verified webhook event by its id before anything acts on it; a redelivery finds the first record.
import type { Sql } from '../client.ts';

export interface RecordStripeEventInput {
  id: string;
  type: string;
  orderId: string | null;
  payload: unknown;
  /** Who sent it (the airwallex_and_scan_to_pay migration); Stripe when not given. */
  provider?: 'stripe' | 'airwallex';
}

export interface StripeEventRecord {
  firstDelivery: boolean;
  deliveredAt: Date | null;
  outcome: string | null;
}

export async function recordStripeEvent(sql: Sql, input: RecordStripeEventInput): Promise<StripeEventRecord> {
  const inserted = await sql`
    insert into stripe_events (id, type, order_id, payload, provider)
    values (${input.id}, ${input.type}, ${input.orderId}, ${sql.json(input.payload as never)}, ${input.provider ?? 'stripe'})
    on conflict (id) do nothing
    returning id`;
  if (inserted.length > 0) return { firstDelivery: true, deliveredAt: null, outcome: null };
  const [existing] = await sql<{ delivered_at: Date | null; outcome: string | null }[]>`
    select delivered_at, outcome from stripe_events where id = ${input.id}`;
  return { firstDelivery: false, deliveredAt: existing?.delivered_at ?? null, outcome: existing?.outcome ?? null };
}
