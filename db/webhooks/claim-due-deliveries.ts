// The dispatcher's claim: up to `limit` pending deliveries that are due, of enabled endpoints, none
// claimed by another dispatcher (SKIP LOCKED: several workers share the work without waiting on each
// other). A claim lasts `claim_ms`, longer than an attempt can take; a dispatcher that crashed loses its
// claim when it runs out, and the delivery is attempted again: at least once.
import type { Queryable } from '../client.ts';
import { deliveryFromRow, type WebhookDelivery, type WebhookDeliveryRow } from './webhook-delivery.ts';

export interface ClaimedDelivery extends WebhookDelivery {
  url: string;
  secret: string;
}

interface ClaimedRow extends WebhookDeliveryRow {
  url: string;
  secret: string;
}

export async function claimDueDeliveries(sql: Queryable, limit: number, claim_ms: number): Promise<ClaimedDelivery[]> {
  const rows = await sql<ClaimedRow[]>`
    with due as (
      select d.id from webhook_deliveries d join webhook_endpoints w on w.id = d.endpoint_id
      where d.status = 'pending' and d.next_attempt_at <= now() and w.enabled
        and (d.claimed_until is null or d.claimed_until < now())
      order by d.next_attempt_at
      limit ${limit}
      for update of d skip locked
    ), claimed as (
      update webhook_deliveries d set claimed_until = now() + ${claim_ms} * interval '1 millisecond'
      from due where d.id = due.id
      returning d.*
    )
    select c.*, e.type as event_type, e.account_id as event_account_id, e.object as event_object,
      e.created_at as event_created_at, w.url, w.secret
    from claimed c join webhook_events e on e.id = c.event_id join webhook_endpoints w on w.id = c.endpoint_id`;
  return rows.map((row) => ({ ...deliveryFromRow(row), url: row.url, secret: row.secret }));
}
