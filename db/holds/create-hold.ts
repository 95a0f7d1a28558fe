// Creates a hold: records it as pending, then posts its creation transfer through the batcher, which
// refuses it when the customer's available balance (or the user's spend limit) is short.
import { createHash } from 'node:crypto';
import type { Sql } from '../client.ts';
import type { Currency } from '../../domain/money.ts';
import { newHoldId } from '../../ids/ids.ts';
import { LedgerError } from '../ledger/post-transfer.ts';
import { holdFromRow, type HoldRow, type StoredHold } from './hold.ts';
import { HoldRefusal, type TransferSubmitter } from './hold-refusal.ts';
import { holdCreationTransfer } from './hold-transfers.ts';

export interface CreateHoldInput {
  accountId: string;
  currency: Currency;
  /** The client's Idempotency-Key; unique per account. */
  idempotencyKey: string;
  amountMicros: bigint;
  description: string;
  userReference: string | null;
  expiresInSeconds: number;
  metadata: Record<string, string> | null;
}

export interface CreateHoldResult {
  hold: StoredHold;
  replayed: boolean;
}

function requestHash(input: CreateHoldInput): Buffer {
  const metadata = input.metadata === null ? null : Object.entries(input.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = JSON.stringify([input.amountMicros.toString(), input.description, input.userReference, input.expiresInSeconds, metadata]);
  return createHash('sha256').update(canonical).digest();
}

/**
 * Inserts the pending row, or finds the one this Idempotency-Key already made. Its commit does not wait
 * for the disk (synchronous_commit off, for this transaction alone): the creation transfer's commit,
 * which does wait, flushes the log up to itself and so this row with it, and a row lost with the
 * transfer is a hold that was never granted.
 */
async function pendingHold(sql: Sql, input: CreateHoldInput, hash: Buffer): Promise<{ hold: StoredHold; inserted: boolean }> {
  const [inserted] = await sql<HoldRow[]>`
    insert into holds (id, account_id, currency, idempotency_key, request_hash, status, amount_micros,
                       user_reference, description, metadata, expires_in_seconds)
    select ${newHoldId()}, ${input.accountId}, ${input.currency}, ${input.idempotencyKey}, ${hash}, 'pending',
           ${input.amountMicros.toString()}, ${input.userReference}, ${input.description},
           ${input.metadata === null ? null : sql.json(input.metadata)}, ${input.expiresInSeconds}
    from (select set_config('synchronous_commit', 'off', true)) as asynchronous_commit
    on conflict (account_id, idempotency_key) do nothing
    returning *, false as past_expiry`;
  if (inserted !== undefined) return { hold: holdFromRow(inserted), inserted: true };
  const [existing] = await sql<HoldRow[]>`
    select *, coalesce(expires_at <= now(), false) as past_expiry from holds
    where account_id = ${input.accountId} and idempotency_key = ${input.idempotencyKey}`;
  if (existing === undefined) throw new Error(`hold with key ${input.idempotencyKey} vanished`);
  const hold = holdFromRow(existing);
  if (!hold.requestHash.equals(hash)) {
    throw new HoldRefusal('idempotency_key_reused', 'This Idempotency-Key was already used with a different request.');
  }
  return { hold, inserted: false };
}

/**
 * Creates the hold, or returns the one created under the same Idempotency-Key. A creation refused
 * earlier left nothing, and is tried again as a consumption would be. Throws HoldRefusal (insufficient_balance,
 * spend_limit_reached, idempotency_key_reused) or the batcher's errors.
 */
export async function createHold(sql: Sql, ledger: TransferSubmitter, input: CreateHoldInput): Promise<CreateHoldResult> {
  const { hold, inserted } = await pendingHold(sql, input, requestHash(input));
  if (hold.storedStatus !== 'pending') return { hold, replayed: true };
  let createdAt: Date;
  try {
    createdAt = (await ledger.submit(holdCreationTransfer(hold))).createdAt;
  } catch (error) {
    // A refusal leaves no trace: the pending row goes (a retry with the same key inserts it again).
    if (error instanceof LedgerError) await sql`delete from holds where id = ${hold.id} and status = 'pending'`;
    if (error instanceof LedgerError && (error.code === 'insufficient_balance' || error.code === 'spend_limit_reached')) {
      const message =
        error.code === 'insufficient_balance'
          ? 'The available balance is lower than the amount; nothing was held.'
          : 'This hold would take the user past their spend limit; nothing was held.';
      throw new HoldRefusal(error.code, message);
    }
    throw error;
  }
  // The trigger set expires_at from the same transaction time as the transfer's.
  const expiresAt = new Date(createdAt.getTime() + hold.expiresInSeconds * 1_000);
  return {
    hold: { ...hold, storedStatus: 'active', status: 'active', holdsMoney: true, expiresAt },
    replayed: !inserted,
  };
}
