// The orders reconciliation asks the provider about: card (Checkout) orders Refill never heard back on.
// Read only; the order's workflow stays the only writer of its row.
import type { Sql } from '../client.ts';

export interface OrdersToReconcileQuery {
  pendingAge_seconds: number;
  processingAge_seconds: number;
  limit: number;
}

/**
 * Oldest first: pending past its expiry or older than pendingAge, processing (an asynchronous payment)
 * older than processingAge since it was paid (or created), or held for review without a decision.
 * Only orders with a checkout session (there is nothing to ask the provider about without one) and
 * without a payment exception.
 */
export async function listOrdersToReconcile(sql: Sql, query: OrdersToReconcileQuery): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select id from orders
    where payment_method = 'stripe' and checkout_session_id is not null
      and (
        (status = 'pending' and (expires_at < now() or created_at < now() - make_interval(secs => ${query.pendingAge_seconds})))
        or (status = 'processing' and coalesce(paid_at, created_at) < now() - make_interval(secs => ${query.processingAge_seconds}))
        or (needs_review and status in ('pending', 'processing'))
      )
      -- An order with a payment exception is ops' to resolve; asking again would change nothing.
      and not exists (select 1 from payment_exceptions where payment_exceptions.order_id = orders.id)
    order by created_at
    limit ${query.limit}`;
  return rows.map((row) => row.id);
}
