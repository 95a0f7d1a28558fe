// Credits a bank transfer whose amount received differs from the quote, as ops decided: the balance gets
// the corrected credit, payment clearing gives the amount received, and the promotional account the
// difference (either way), so the transfer still balances. Same transaction and same exactly-once key
// as creditOrder: an order is credited once, whichever of the two ran first.
import type { Sql } from '../client.ts';
import { formatMicros, microsFromDecimal } from '../../domain/money.ts';
import type { OrderSnapshot } from '../../domain/orders.ts';
import { recordRecharge } from '../ledger/record-recharge.ts';
import type { CreditOrderResult } from './credit-order.ts';

export interface Correction {
  /** Six-decimal strings. */
  amountReceived: string;
  correctedCredit: string;
  reason: string;
}

/** Posts the corrected credit, redeems the promo code and marks the order succeeded, in one transaction. */
export async function creditOrderWithCorrection(
  sql: Sql,
  snapshot: OrderSnapshot,
  correction: Correction,
): Promise<CreditOrderResult> {
  const amountReceivedMicros = microsFromDecimal(correction.amountReceived);
  const correctedCreditMicros = microsFromDecimal(correction.correctedCredit);
  if (amountReceivedMicros <= 0n || correctedCreditMicros <= 0n) {
    throw new RangeError(`order ${snapshot.orderId}: a corrected credit needs positive amounts`);
  }
  return sql.begin(async (transaction) => {
    const recharge = await recordRecharge(transaction, {
      orderId: snapshot.orderId,
      accountId: snapshot.accountId,
      currency: snapshot.terms.currency,
      payAmountMicros: amountReceivedMicros,
      creditMicros: correctedCreditMicros,
      description: `Top-up ${snapshot.orderId}`,
      metadata: {
        amount_received: formatMicros(amountReceivedMicros),
        quoted_credit: snapshot.terms.credit,
        corrected_credit: formatMicros(correctedCreditMicros),
        correction_reason: correction.reason,
      },
    });
    await transaction`
      update promo_reservations set status = 'redeemed', updated_at = now()
      where order_id = ${snapshot.orderId} and status = 'reserved'`;
    await transaction`
      update orders set status = 'succeeded', credited_at = ${recharge.createdAt}, paid_at = ${snapshot.paidAt},
        provider_payment_id = ${snapshot.providerPaymentId}, needs_review = false, updated_at = now()
      where id = ${snapshot.orderId}`;
    return {
      creditedAt: recharge.createdAt.toISOString(),
      balanceAfter: recharge.balanceAfterMicros,
      transferId: recharge.transferId,
    };
  });
}
