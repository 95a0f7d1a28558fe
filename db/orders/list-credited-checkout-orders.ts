// The card (Checkout) orders created in a day that Refill credited: Refill's side of the daily
// reconciliation. Bank transfers, Airwallex and auto-recharge orders are not Checkout payments.
import type { Sql } from '../client.ts';
import type { OrderRow } from './order-row.ts';

export async function listCreditedCheckoutOrders(sql: Sql, range: { from: Date; to: Date }): Promise<OrderRow[]> {
  return sql<OrderRow[]>`
    select * from orders
    where payment_method = 'stripe' and checkout_session_id is not null and credited_at is not null
      and created_at >= ${range.from} and created_at < ${range.to}
    order by created_at`;
}
