// Releases holds past their expiry: posts each one's settlement as 'expired' through the ledger, so
// their money is available again. Safe to run in several processes at once: a hold's settlement has one
// key, so a second sweeper's release is a replay, and a hold captured or extended meanwhile is refused
// by the trigger and left as it is.
import type { Sql } from '../client.ts';
import { LedgerError } from '../ledger/post-transfer.ts';
import { holdFromRow, type HoldRow } from './hold.ts';
import type { TransferSubmitter } from './hold-refusal.ts';
import { holdSettlementTransfer } from './hold-transfers.ts';

/** Holds released by one sweep at most: a bound on its work; the next sweep takes the rest. */
export const maximumHoldsPerSweep = 1_000;

export interface ExpireHoldsResult {
  released: number;
  /** Captured, voided, extended or released by another process between the read and the release. */
  skipped: number;
}

/** Releases up to maximumHoldsPerSweep expired holds, oldest expiry first. */
export async function expireHolds(sql: Sql, ledger: TransferSubmitter): Promise<ExpireHoldsResult> {
  const rows = await sql<HoldRow[]>`
    select *, true as past_expiry from holds
    where status = 'active' and expires_at <= now()
    order by expires_at
    limit ${maximumHoldsPerSweep}`;
  const outcomes = await Promise.allSettled(
    rows.map((row) => ledger.submit(holdSettlementTransfer(holdFromRow(row), 'expired', 0n, null))),
  );
  const result: ExpireHoldsResult = { released: 0, skipped: 0 };
  for (const outcome of outcomes) {
    if (outcome.status === 'fulfilled') result.released += 1;
    else if (outcome.reason instanceof LedgerError) result.skipped += 1;
    else throw outcome.reason;
  }
  return result;
}
