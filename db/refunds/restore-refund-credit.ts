// Gives a failed refund's credit back (the exact reverse of its take-back, once, keyed by the refund id)
// and saves the refund failed with its reason, in one transaction: failed and re-credited commit together.
import type { Sql } from '../client.ts';
import { reverseTakeBack } from '../ledger/take-back-credit.ts';
import { refundReversalTransferKey, refundTransferKey, type RefundSnapshot } from '../../domain/refunds.ts';
import { saveRefundState } from './save-refund-state.ts';

/** `failed` is the refund as it is once failed; returns the reversal's transfer id, or null when nothing was taken. */
export async function restoreRefundCredit(sql: Sql, failed: RefundSnapshot): Promise<string | null> {
  return sql.begin(async (transaction) => {
    const reversal = await reverseTakeBack(transaction, {
      takeBackKey: refundTransferKey(failed.refundId),
      idempotencyKey: refundReversalTransferKey(failed.refundId),
      flowType: 'refund_reversal',
      description: `Refund ${failed.refundId} failed: credit given back`,
      metadata: { refund_id: failed.refundId },
    });
    const reversalTransferId = reversal?.toString() ?? null;
    await saveRefundState(transaction, { ...failed, reversalTransferId });
    return reversalTransferId;
  });
}
