// Closes an open dispute, once: won gives back exactly what it took (balance and debt) and lifts its
// restriction; lost leaves the credit taken back and the account restricted until ops lift it.
import type { Sql } from '../client.ts';
import { reverseTakeBack } from '../ledger/take-back-credit.ts';
import { disputeRestrictionId, disputeReversalTransferKey, disputeTransferKey } from '../../domain/refunds.ts';
import type { DisputeRow } from './dispute-row.ts';

export async function closeDispute(sql: Sql, input: { disputeId: string; outcome: 'won' | 'lost' }): Promise<DisputeRow> {
  return sql.begin(async (transaction) => {
    const [dispute] = await transaction<DisputeRow[]>`select * from disputes where id = ${input.disputeId} for update`;
    if (dispute === undefined) throw new RangeError(`dispute ${input.disputeId} is not recorded`);
    if (dispute.status !== 'open') return dispute;
    let reversal: bigint | null = null;
    if (input.outcome === 'won') {
      reversal = await reverseTakeBack(transaction, {
        takeBackKey: disputeTransferKey(input.disputeId),
        idempotencyKey: disputeReversalTransferKey(input.disputeId),
        flowType: 'dispute_reversal',
        description: `Dispute ${input.disputeId} won: credit given back`,
        metadata: { dispute_id: input.disputeId },
      });
      await transaction`
        update account_restrictions set lifted_at = now(), lifted_by = 'dispute', lift_reason = 'the dispute was won'
        where id = ${disputeRestrictionId(input.disputeId)} and lifted_at is null`;
    }
    const [closed] = await transaction<DisputeRow[]>`
      update disputes set status = ${input.outcome}, closed_at = now(), reversal_transfer_id = ${reversal?.toString() ?? null}
      where id = ${input.disputeId} returning *`;
    return closed!;
  });
}
