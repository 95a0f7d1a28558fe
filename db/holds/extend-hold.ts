// Extends a hold while its usage runs: raises (or lowers) the held amount with a transfer through the
// batcher, which refuses it when the available balance is short, and/or moves its expiry.
import type { Sql } from '../client.ts';
import { LedgerError } from '../ledger/post-transfer.ts';
import { readHold, type StoredHold } from './hold.ts';
import { HoldRefusal, maximumHoldAttempts, type TransferSubmitter } from './hold-refusal.ts';
import { holdExtensionTransfer } from './hold-transfers.ts';

export interface ExtendHoldInput {
  accountId: string;
  holdId: string;
  /** The new held amount, or null to keep it. */
  amountMicros: bigint | null;
  /** The new expiry, from now, or null to keep it. */
  expiresInSeconds: number | null;
}

/** Refuses an extension of a hold that is not active, or is past its expiry. */
function refuseEnded(hold: StoredHold | null): asserts hold is StoredHold {
  if (hold === null) throw new HoldRefusal('not_found', 'This account has no such hold.');
  if (hold.status === 'captured') throw new HoldRefusal('hold_already_captured', 'The hold was captured; it cannot be extended.');
  if (hold.status === 'voided') throw new HoldRefusal('hold_voided', 'The hold was voided; it cannot be extended.');
  if (hold.status === 'expired') throw new HoldRefusal('hold_expired', 'The hold expired; it cannot be extended.');
}

/** Moves only the expiry; null when the hold changed since it was read. */
async function moveExpiry(sql: Sql, hold: StoredHold, expiresInSeconds: number): Promise<StoredHold | null> {
  const [row] = await sql<{ expires_at: Date }[]>`
    update holds set expires_at = now() + make_interval(secs => ${expiresInSeconds})
    where id = ${hold.id} and status = 'active' and expires_at > now() and amount_micros = ${hold.amountMicros.toString()}
    returning expires_at`;
  return row === undefined ? null : { ...hold, expiresAt: row.expires_at };
}

/** Posts the change of amount (and expiry); null when the hold changed since it was read. */
async function changeAmount(ledger: TransferSubmitter, hold: StoredHold, input: ExtendHoldInput, amountMicros: bigint): Promise<StoredHold | null> {
  try {
    const result = await ledger.submit(holdExtensionTransfer(hold, amountMicros, input.expiresInSeconds));
    const expiresAt = input.expiresInSeconds === null ? hold.expiresAt : new Date(result.createdAt.getTime() + input.expiresInSeconds * 1_000);
    return { ...hold, amountMicros, expiresAt };
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error;
    if (error.code === 'insufficient_balance') {
      throw new HoldRefusal('insufficient_balance', 'The available balance is lower than the increase; the hold is unchanged.');
    }
    if (error.code === 'spend_limit_reached') {
      throw new HoldRefusal('spend_limit_reached', 'The increase would take the user past their spend limit; the hold is unchanged.');
    }
    if (error.code === 'hold_expired') throw new HoldRefusal('hold_expired', 'The hold expired; it cannot be extended.');
    if (error.code === 'hold_changed') return null;
    throw error;
  }
}

/** Extends the hold and returns it as it is now. Throws HoldRefusal, or the batcher's errors. */
export async function extendHold(sql: Sql, ledger: TransferSubmitter, input: ExtendHoldInput): Promise<StoredHold> {
  for (let attempt = 1; attempt <= maximumHoldAttempts; attempt += 1) {
    const hold = await readHold(sql, input.accountId, input.holdId);
    refuseEnded(hold);
    const amountMicros = input.amountMicros ?? hold.amountMicros;
    const extended =
      amountMicros === hold.amountMicros
        ? input.expiresInSeconds === null
          ? hold
          : await moveExpiry(sql, hold, input.expiresInSeconds)
        : await changeAmount(ledger, hold, input, amountMicros);
    if (extended !== null) return extended;
  }
  throw new Error(`hold ${input.holdId} kept changing while it was extended`);
}
