// Reads one order, scoped to its account (another account's order is simply not found).
import type { Sql } from '../client.ts';
import type { OrderRow } from './order-row.ts';

export async function getOrderRow(sql: Sql, orderId: string, accountId: string | null): Promise<OrderRow | null> {
  const [row] = await sql<OrderRow[]>`
    select *, (select number from invoices where order_id = orders.id and pdf_sha256 is not null) as invoice_number,
           -- A credit ops corrected is in its ledger transfer's metadata: the ledger is the truth of what was credited.
           (select metadata from transfers where order_id = orders.id and flow_type = 'recharge' and metadata ? 'corrected_credit' limit 1) as credit_correction
    from orders where id = ${orderId} ${accountId === null ? sql`` : sql`and account_id = ${accountId}`}`;
  return row ?? null;
}
