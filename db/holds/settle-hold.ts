// Ends a hold with its one settlement transfer: a capture (a consumption of part or all of it, the rest
// released), a void, or an expiry. The key 'hold:<id>:settle' is shared by all three, so whichever is
// posted first is the hold's end, and the others find it.
import type { Sql } from '../client.ts';
import { LedgerError } from '../ledger/post-transfer.ts';
import { readHold, type StoredHold } from './hold.ts';
import { HoldRefusal, maximumHoldAttempts, type TransferSubmitter } from './hold-refusal.ts';
import { holdSettlementTransfer, type SettlementOutcome } from './hold-transfers.ts';

export interface SettleHoldInput {
  accountId: string;
  holdId: string;
  outcome: SettlementOutcome;
  /** Only for a capture: from 0 to the held amount. */
  capturedMicros: bigint;
  description: string | null;
}

export interface SettleHoldResult {
  hold: StoredHold;
  /** True when the hold already had this end: nothing new was recorded. */
  replayed: boolean;
}

const notFound = () => new HoldRefusal('not_found', 'This account has no such hold.');

/** The answer for a hold that has ended already: the same end is a replay, another is refused. */
function endedHold(hold: StoredHold, input: SettleHoldInput): SettleHoldResult {
  if (input.outcome === 'captured') {
    if (hold.storedStatus === 'captured' && hold.capturedMicros === input.capturedMicros) return { hold, replayed: true };
    if (hold.storedStatus === 'captured') throw new HoldRefusal('hold_already_captured', `The hold was already captured for another amount.`);
    if (hold.storedStatus === 'voided') throw new HoldRefusal('hold_voided', 'The hold was voided; nothing can be captured.');
    throw new HoldRefusal('hold_expired', 'The hold expired; nothing can be captured.');
  }
  if (hold.storedStatus === 'captured') throw new HoldRefusal('hold_already_captured', 'The hold was captured; it cannot be voided.');
  return { hold, replayed: true };
}

/** Refusals that follow from the hold as read, before any transfer. */
function refuseBeforeSettling(hold: StoredHold, input: SettleHoldInput): void {
  if (input.outcome !== 'captured') return;
  if (hold.status === 'expired') throw new HoldRefusal('hold_expired', 'The hold expired; nothing can be captured.');
  if (input.capturedMicros > hold.amountMicros) {
    throw new HoldRefusal('capture_exceeds_hold', 'The amount is more than the hold holds; nothing was captured.');
  }
}

/**
 * Settles the hold, or answers as the end it already had. A void of a hold past its expiry is posted as
 * its expiry. Throws HoldRefusal, or the batcher's errors.
 */
export async function settleHold(sql: Sql, ledger: TransferSubmitter, input: SettleHoldInput): Promise<SettleHoldResult> {
  for (let attempt = 1; ; attempt += 1) {
    const hold = await readHold(sql, input.accountId, input.holdId);
    if (hold === null) throw notFound();
    if (!hold.holdsMoney) return endedHold(hold, input);
    refuseBeforeSettling(hold, input);
    const outcome = input.outcome === 'voided' && hold.status === 'expired' ? 'expired' : input.outcome;
    try {
      const result = await ledger.submit(holdSettlementTransfer(hold, outcome, input.capturedMicros, input.description));
      const capturedMicros = outcome === 'captured' ? input.capturedMicros : null;
      const settled: StoredHold = { ...hold, storedStatus: outcome, status: outcome, holdsMoney: false, capturedMicros, settledAt: result.createdAt };
      return { hold: settled, replayed: result.replayed };
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      if (error.code === 'hold_expired') throw new HoldRefusal('hold_expired', 'The hold expired; nothing can be captured.');
      // Another settlement or an extension came first: read the hold again and answer from what it is now.
      const raced = error.code === 'hold_changed' || error.code === 'idempotency_key_reused';
      if (!raced || attempt >= maximumHoldAttempts) throw error;
    }
  }
}
