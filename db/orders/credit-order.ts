// Credits a paid order: the ledger transfer, the promo redemption and the order's status, atomically.
// Exactly once: the transfer's idempotency key is the order id, so a retry returns the first credit.
import type { Sql } from '../client.ts';
import { microsFromDecimal } from '../../domain/money.ts';
import type { OrderSnapshot } from '../../domain/orders.ts';
import { recordRecharge } from '../ledger/record-recharge.ts';

export interface CreditOrderResult {
  creditedAt: string;
  balanceAfter: bigint;
  transferId: bigint;
}

export async function creditOrder(sql: Sql, snapshot: OrderSnapshot): Promise<CreditOrderResult> {
  return sql.begin(async (transaction) => {
    const recharge = await recordRecharge(transaction, {
      orderId: snapshot.orderId,
      accountId: snapshot.accountId,
      currency: snapshot.terms.currency,
      payAmountMicros: microsFromDecimal(snapshot.terms.payAmount),
      creditMicros: microsFromDecimal(snapshot.terms.credit),
      description: `Top-up ${snapshot.orderId}`,
    });
    await transaction`
      update promo_reservations set status = 'redeemed', updated_at = now()
      where order_id = ${snapshot.orderId} and status = 'reserved'`;
    await transaction`
      update orders set status = 'succeeded', credited_at = ${recharge.createdAt}, paid_at = ${snapshot.paidAt},
        receipt_url = ${snapshot.receiptUrl}, provider_payment_id = ${snapshot.providerPaymentId},
        needs_review = false, updated_at = now()
      where id = ${snapshot.orderId}`;
    return {
      creditedAt: recharge.createdAt.toISOString(),
      balanceAfter: recharge.balanceAfterMicros,
      transferId: recharge.transferId,
    };
  });
}
