// Lists an account's orders newest first, by keyset pagination on the creation sequence.
import type { Sql } from '../client.ts';
import type { OrderStatus } from '../../domain/orders.ts';
import type { OrderRow } from './order-row.ts';

export interface ListOrdersInput {
  accountId: string;
  status: OrderStatus | null;
  beforeSequence: bigint | null;
  limit: number;
}

export async function listOrders(sql: Sql, input: ListOrdersInput): Promise<OrderRow[]> {
  return sql<OrderRow[]>`
    select *, (select number from invoices where order_id = orders.id and pdf_sha256 is not null) as invoice_number,
           (select metadata from transfers where order_id = orders.id and flow_type = 'recharge' and metadata ? 'corrected_credit' limit 1) as credit_correction
    from orders
    where account_id = ${input.accountId}
      ${input.status === null ? sql`` : sql`and status = ${input.status}`}
      ${input.beforeSequence === null ? sql`` : sql`and sequence < ${input.beforeSequence.toString()}`}
    order by sequence desc
    limit ${input.limit}`;
}
