// Records one step a person took on an order (ops review, confirmation, rejection; a customer's cancel).
// Once per order and kind of action: a retried activity finds the row and records nothing more.
import type { Sql } from '../client.ts';
import type { OrderActionRecord } from '../../domain/order-actions.ts';

export type { OrderActionRecord };

/** True when this call recorded it; false when it was already recorded. */
export async function recordOrderAction(sql: Sql, record: OrderActionRecord): Promise<boolean> {
  const inserted = await sql`
    insert into order_actions (order_id, action, actor, reason, payload, occurred_at)
    values (${record.orderId}, ${record.action}, ${record.actor}, ${record.reason}, ${sql.json(record.payload)},
            ${record.occurredAt})
    on conflict (order_id, action) do nothing
    returning id`;
  return inserted.length > 0;
}
