// Saves an order's newly opened checkout session on its row: the only columns that opening a checkout
// changes. Conditional, so an attempt that outlived its timeout (a provider call that answered after the
// workflow had retried it) can never write an older state over a later one: once the order has left
// `pending`, or holds another session, the write changes nothing.
import type { Queryable } from '../client.ts';

export interface CheckoutSessionOfOrder {
  orderId: string;
  checkoutSessionId: string;
  checkoutUrl: string;
}

/** True when the row now holds this session (written now, or by an earlier attempt). */
export async function saveCheckoutSession(sql: Queryable, session: CheckoutSessionOfOrder): Promise<boolean> {
  const rows = await sql<{ id: string }[]>`
    update orders set checkout_session_id = ${session.checkoutSessionId}, checkout_url = ${session.checkoutUrl}, updated_at = now()
    where id = ${session.orderId}
      and status = 'pending'
      and (checkout_session_id is null or checkout_session_id = ${session.checkoutSessionId})
    returning id`;
  return rows.length === 1;
}
