// Reads an order's recorded actions, oldest first; an order has at most one of each kind.
import type { Sql } from '../client.ts';
import type { OrderAction } from '../../domain/bank-transfers.ts';

export interface OrderActionRow {
  id: bigint;
  order_id: string;
  action: OrderAction;
  actor: string;
  reason: string | null;
  payload: Record<string, string | null>;
  occurred_at: Date;
  recorded_at: Date;
}

/** Every recorded action of one order. */
export async function listOrderActions(sql: Sql, orderId: string): Promise<OrderActionRow[]> {
  return sql<OrderActionRow[]>`select * from order_actions where order_id = ${orderId} order by id`;
}
