// POST /admin/webhook-events/{id}/redeliver: the delivery (by its id), or every delivery of an event (by
// the event's id), is pending again now, with a fresh three-day window. Attempts already made stay in the
// record and the numbering goes on. Returns the ids of the deliveries it reopened (none: no such id).
import type { Queryable } from '../client.ts';

export async function redeliverWebhook(sql: Queryable, id: string, retryWindow_ms: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    update webhook_deliveries set
      status = 'pending', next_attempt_at = now(), claimed_until = null, failure_reason = null,
      retry_until = now() + ${retryWindow_ms} * interval '1 millisecond'
    where (id = ${id} or event_id = ${id})
      and endpoint_id in (select id from webhook_endpoints where enabled)
    returning id`;
  return rows.map((row) => row.id);
}
