// Opens a dispute, once per provider dispute id, in one transaction: its row, the account's restriction,
// and the take-back of the disputed share of the order's credit, down to what the balance holds, the rest
// recorded as the account's debt. Written only by the dispute's workflow (dispute-<dispute id>).
import type { Sql } from '../client.ts';
import { takeBackCredit } from '../ledger/take-back-credit.ts';
import { creditRemovedFor, disputeRestrictionId, disputeTransferKey, type DisputeWorkflowInput } from '../../domain/refunds.ts';
import type { DisputeRow } from './dispute-row.ts';

export interface OpenDisputeInput extends DisputeWorkflowInput {
  amountMicros: bigint;
  providerReason: string | null;
  /** A dispute whose first news is that it was won: recorded, nothing taken, no restriction. */
  alreadyWon: boolean;
}

export async function openDispute(sql: Sql, input: OpenDisputeInput): Promise<DisputeRow> {
  return sql.begin(async (transaction) => {
    const [existing] = await transaction<DisputeRow[]>`select * from disputes where id = ${input.disputeId}`;
    if (existing !== undefined) return existing;
    const [order] = await transaction<{ pay_amount_micros: bigint; credit_micros: bigint }[]>`
      select pay_amount_micros, credit_micros from orders where id = ${input.orderId} for update`;
    const [totals] = await transaction<{ refunded: bigint; removed: bigint }[]>`
      select coalesce(sum(amount_micros), 0)::bigint as refunded, coalesce(sum(credit_removed_micros), 0)::bigint as removed
      from refunds where order_id = ${input.orderId} and status not in ('rejected', 'failed')`;
    const creditLeft = order!.credit_micros - totals!.removed;
    const credit = creditRemovedFor({
      creditMicros: order!.credit_micros,
      payAmountMicros: order!.pay_amount_micros,
      amountMicros: input.amountMicros,
      refundableMicros: order!.pay_amount_micros - totals!.refunded,
      creditLeftMicros: creditLeft > 0n ? creditLeft : 0n,
    });
    const taken = input.alreadyWon || credit <= 0n
      ? null
      : await takeBackCredit(transaction, {
          idempotencyKey: disputeTransferKey(input.disputeId),
          flowType: 'dispute',
          accountId: input.accountId,
          currency: input.currency,
          orderId: input.orderId,
          creditMicros: credit,
          shortfall: 'cap',
          description: `Dispute ${input.disputeId} of order ${input.orderId}`,
          metadata: { dispute_id: input.disputeId },
        });
    if (!input.alreadyWon) {
      await transaction`
        insert into account_restrictions (id, account_id, reason)
        values (${disputeRestrictionId(input.disputeId)}, ${input.accountId}, ${`dispute ${input.disputeId} of order ${input.orderId} is open`})
        on conflict (id) do nothing`;
    }
    const [row] = await transaction<DisputeRow[]>`
      insert into disputes (id, order_id, account_id, status, currency, amount_micros, credit_taken_micros, debt_micros,
                            transfer_id, provider_reason, closed_at)
      values (${input.disputeId}, ${input.orderId}, ${input.accountId}, ${input.alreadyWon ? 'won' : 'open'}, ${input.currency},
              ${input.amountMicros.toString()}, ${(taken?.takenMicros ?? 0n).toString()}, ${(taken?.debtMicros ?? 0n).toString()},
              ${taken?.transferId.toString() ?? null}, ${input.providerReason}, ${input.alreadyWon ? new Date() : null})
      returning *`;
    return row!;
  });
}
