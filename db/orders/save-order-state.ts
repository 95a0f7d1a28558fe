// The one writer of an order's row after it is created: the order workflow's state, written whole by its
// activities (and, for the credit, inside the transaction that posts it). Releases the promo code when
// the order ends without success. Idempotent: writing the same state twice changes nothing more.
import type { Queryable } from '../client.ts';
import type { OrderSnapshot, OrderStatus } from '../../domain/orders.ts';

const releasingStatuses = ['failed', 'expired', 'cancelled'];

/** The status the row had before this write (null when there is no row), for the transition's metric. */
export interface SaveOrderStateResult {
  previousStatus: OrderStatus | null;
}

/** Writes the state in the caller's transaction, or in a transaction of its own. */
export async function saveOrderState(sql: Queryable, state: OrderSnapshot): Promise<SaveOrderStateResult> {
  if (!('savepoint' in sql)) return sql.begin((transaction) => saveOrderState(transaction, state));
  const [saved] = await sql<{ previous_status: OrderStatus }[]>`
    with previous as (select status from orders where id = ${state.orderId} for update)
    update orders set
      status = ${state.status},
      checkout_session_id = ${state.checkoutSessionId},
      checkout_url = ${state.checkoutUrl},
      paid_at = ${state.paidAt},
      credited_at = ${state.creditedAt},
      receipt_url = ${state.receiptUrl},
      provider_payment_id = ${state.providerPaymentId},
      needs_review = ${state.needsReview},
      review_reason = ${state.reviewReason},
      failure_reason = ${state.failureReason},
      updated_at = now()
    from previous
    where orders.id = ${state.orderId}
    returning previous.status as previous_status`;
  if (releasingStatuses.includes(state.status)) {
    await sql`
      update promo_reservations set status = 'released', updated_at = now()
      where order_id = ${state.orderId} and status = 'reserved'`;
  }
  return { previousStatus: saved?.previous_status ?? null };
}
