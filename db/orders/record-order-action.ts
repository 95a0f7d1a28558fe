// Records one step a person took on an order (ops review, confirmation, rejection; a customer's cancel).
// Once per order and kind of action: a retried activity finds the row and records nothing more.
import type { Sql } from '../client.ts';
import type { OrderAction } from '../../domain/bank-transfers.ts';

export interface OrderActionRecord {
  orderId: string;
  action: OrderAction;
  actor: string;
  reason: string | null;
  /** The action's details as strings (money as six-decimal strings). */
  payload: Record<string, string | null>;
  /** ISO timestamp: when the order's workflow accepted the action. */
  occurredAt: string;
}

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
