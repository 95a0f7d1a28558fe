// Reads one order, scoped to its account (another account's order is simply not found).
import type { Sql } from '../client.ts';
import type { OrderRow } from './order-row.ts';

export async function getOrderRow(sql: Sql, orderId: string, accountId: string | null): Promise<OrderRow | null> {
  const [row] = await sql<OrderRow[]>`
    select * from orders where id = ${orderId} ${accountId === null ? sql`` : sql`and account_id = ${accountId}`}`;
  return row ?? null;
}
