// Writes the workflow's current view of an order to its row; releases the promo code when the order
// ends without success. Idempotent: writing the same snapshot twice changes nothing more.
import type { Sql } from '../client.ts';
import type { OrderSnapshot } from '../../domain/orders.ts';

const releasingStatuses = ['failed', 'expired', 'cancelled'];

export async function saveOrderState(sql: Sql, snapshot: OrderSnapshot): Promise<void> {
  await sql.begin(async (transaction) => {
    await transaction`
      update orders set
        status = ${snapshot.status},
        checkout_session_id = ${snapshot.checkoutSessionId},
        checkout_url = ${snapshot.checkoutUrl},
        paid_at = ${snapshot.paidAt},
        receipt_url = ${snapshot.receiptUrl},
        provider_payment_id = ${snapshot.providerPaymentId},
        needs_review = ${snapshot.needsReview},
        review_reason = ${snapshot.reviewReason},
        failure_reason = ${snapshot.failureReason},
        updated_at = now()
      where id = ${snapshot.orderId}`;
    if (releasingStatuses.includes(snapshot.status)) {
      await transaction`
        update promo_reservations set status = 'released', updated_at = now()
        where order_id = ${snapshot.orderId} and status = 'reserved'`;
    }
  });
}
