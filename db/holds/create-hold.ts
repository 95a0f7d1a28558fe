// Creates a hold: one transfer through the batcher, from the customer's balance to a holds shard, which
// the ledger refuses when the available balance (or the user's spend limit) is short, and from which
// the trigger of migration 0012 records the hold in the same transaction.
import type { Sql } from '../client.ts';
import type { Currency } from '../../domain/money.ts';
import { holdIdFor } from '../../ids/ids.ts';
import { LedgerError } from '../ledger/post-transfer.ts';
import { readHold, type StoredHold } from './hold.ts';
import { HoldRefusal, type HoldRefusalCode, type TransferSubmitter } from './hold-refusal.ts';
import { holdCreationTransfer, type NewHold } from './hold-transfers.ts';

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

const refusalMessages: Partial<Record<HoldRefusalCode, string>> = {
  insufficient_balance: 'The available balance is lower than the amount; nothing was held.',
  spend_limit_reached: 'This hold would take the user past their spend limit; nothing was held.',
  idempotency_key_reused: 'This Idempotency-Key was already used with a different request.',
};

/**
 * Creates the hold, or returns the one created under the same Idempotency-Key (as it is now). A refused
 * creation leaves nothing, and is tried again on a retry, as a consumption would be. Throws HoldRefusal
 * (insufficient_balance, spend_limit_reached, idempotency_key_reused) or the batcher's errors.
 */
export async function createHold(sql: Sql, ledger: TransferSubmitter, input: CreateHoldInput): Promise<CreateHoldResult> {
  const hold: NewHold = { ...input, id: holdIdFor(input.accountId, input.idempotencyKey) };
  let result;
  try {
    result = await ledger.submit(holdCreationTransfer(hold));
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error;
    const code = error.code as HoldRefusalCode;
    const message = refusalMessages[code];
    if (message === undefined) throw error;
    throw new HoldRefusal(code, message);
  }
  if (result.replayed) {
    const existing = await readHold(sql, input.accountId, hold.id);
    if (existing === null) throw new Error(`hold ${hold.id} has a creation transfer but no row`);
    return { hold: existing, replayed: true };
  }
  // The trigger set expires_at from the same transaction time as the transfer's.
  const created: StoredHold = {
    ...hold,
    position: 0n,
    storedStatus: 'active',
    status: 'active',
    holdsMoney: true,
    capturedMicros: null,
    expiresAt: new Date(result.createdAt.getTime() + input.expiresInSeconds * 1_000),
    createdAt: result.createdAt,
    settledAt: null,
  };
  return { hold: created, replayed: false };
}
