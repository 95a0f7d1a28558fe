// What a recorded webhook event led to, by its id: null when it was never recorded or not handled yet.
import type { Sql } from '../client.ts';
import type { StripeEventOutcome } from './mark-stripe-event.ts';

export async function getStripeEventOutcome(sql: Sql, eventId: string): Promise<StripeEventOutcome | null> {
  const [row] = await sql<{ outcome: StripeEventOutcome | null }[]>`select outcome from stripe_events where id = ${eventId}`;
  return row?.outcome ?? null;
}
