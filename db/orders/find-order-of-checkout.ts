// The order a provider's listed checkout belongs to: by the order id it carries, else by its session.
import type { Sql } from '../client.ts';
import type { OrderRow } from './order-row.ts';

export async function findOrderOfCheckout(sql: Sql, checkout: { orderId: string | null; checkoutSessionId: string }): Promise<OrderRow | null> {
  const [row] = await sql<OrderRow[]>`
    select * from orders
    where checkout_session_id = ${checkout.checkoutSessionId} ${checkout.orderId === null ? sql`` : sql`or id = ${checkout.orderId}`}
    order by (checkout_session_id = ${checkout.checkoutSessionId}) desc
    limit 1`;
  return row ?? null;
}
