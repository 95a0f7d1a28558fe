// The refunds of some orders, for the order object's refunded_amount and refunds (ids and statuses).
import type { Sql } from '../client.ts';
import type { RefundStatus } from '../../domain/refunds.ts';

export interface OrderRefundSummary {
  refundId: string;
  status: RefundStatus;
  amountMicros: bigint;
}

/** Every refund of the orders, oldest first, by order id. */
export async function refundsOfOrders(sql: Sql, orderIds: string[]): Promise<Map<string, OrderRefundSummary[]>> {
  const byOrder = new Map<string, OrderRefundSummary[]>();
  if (orderIds.length === 0) return byOrder;
  const rows = await sql<{ id: string; order_id: string; status: RefundStatus; amount_micros: bigint }[]>`
    select id, order_id, status, amount_micros from refunds where order_id = any (${orderIds}::text[]) order by sequence`;
  for (const row of rows) {
    const list = byOrder.get(row.order_id) ?? [];
    list.push({ refundId: row.id, status: row.status, amountMicros: row.amount_micros });
    byOrder.set(row.order_id, list);
  }
  return byOrder;
}
