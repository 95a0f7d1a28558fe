// The one writer of a refund's row after it is inserted: its workflow's state, written by its activities
// (inside the transaction that posts a transfer, where there is one). Idempotent.
import type { Queryable } from '../client.ts';
import { microsFromDecimal } from '../../domain/money.ts';
import type { RefundSnapshot } from '../../domain/refunds.ts';

export async function saveRefundState(sql: Queryable, refund: RefundSnapshot): Promise<void> {
  await sql`
    update refunds set
      status = ${refund.status},
      decided_by = ${refund.decidedBy},
      decision_reason = ${refund.decisionReason},
      decided_at = ${refund.decidedAt},
      provider_refund_id = ${refund.providerRefundId},
      bank_reference = ${refund.bankReference},
      transfer_id = ${refund.transferId},
      reversal_transfer_id = ${refund.reversalTransferId},
      debt_micros = ${microsFromDecimal(refund.debt).toString()},
      failure_reason = ${refund.failureReason},
      succeeded_at = ${refund.succeededAt},
      updated_at = now()
    where id = ${refund.refundId}`;
}
