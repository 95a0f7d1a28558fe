// Takes a refund's credit back and saves the refund as its workflow now holds it, in one transaction:
// the order's row is locked, the balance is locked and checked, and the transfer posted, so the credit
// is taken exactly once (keyed by the refund id) and never beyond the balance. A refund Refill starts
// refuses a balance that no longer covers it; one made at the provider takes what is there, and the rest
// becomes debt.
import type { Sql } from '../client.ts';
import { takeBackCredit } from '../ledger/take-back-credit.ts';
import { formatMicros, microsFromDecimal } from '../../domain/money.ts';
import { refundTransferKey, type RefundSnapshot } from '../../domain/refunds.ts';
import { saveRefundState } from './save-refund-state.ts';

export interface TakeRefundCreditResult {
  transferId: string;
  debt: string;
}

/** `refund` is the state to save once the credit is taken (processing, or succeeded for a provider refund). */
export async function takeRefundCredit(sql: Sql, refund: RefundSnapshot): Promise<TakeRefundCreditResult> {
  return sql.begin(async (transaction) => {
    await transaction`select 1 from orders where id = ${refund.orderId} for update`;
    const taken = await takeBackCredit(transaction, {
      idempotencyKey: refundTransferKey(refund.refundId),
      flowType: 'refund',
      accountId: refund.accountId,
      currency: refund.currency,
      orderId: refund.orderId,
      creditMicros: microsFromDecimal(refund.creditRemoved),
      shortfall: refund.requestedBy === 'provider' ? 'cap' : 'refuse',
      description: `Refund ${refund.refundId} of order ${refund.orderId}`,
      metadata: { refund_id: refund.refundId, refund_amount: refund.amount },
    });
    const result = { transferId: taken.transferId.toString(), debt: formatMicros(taken.debtMicros) };
    await saveRefundState(transaction, { ...refund, ...result });
    return result;
  });
}
