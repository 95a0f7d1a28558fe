// The ledger transfers of a hold: its creation, its extensions and its one settlement. Their keys tell
// the trigger of migration 0012 which hold they belong to ('hold:<id>:create', 'hold:<id>:extend:<n>',
// 'hold:<id>:settle'); their metadata carries what the trigger checks and applies.
import { randomToken } from '../../ids/ids.ts';
import { customerBalanceCode, platformAccountCode } from '../ledger/ledger-account-codes.ts';
import type { PostTransferInput, TransferLeg } from '../ledger/post-transfer.ts';
import type { Currency } from '../../domain/money.ts';
import type { StoredHold } from './hold.ts';

export type SettlementOutcome = 'captured' | 'voided' | 'expired';

/** Legs that move an amount between the customer's balance and the holds shard; positive takes from the customer. */
function holdLegs(hold: Pick<NewHold, 'accountId' | 'currency'>, toHoldsMicros: bigint): TransferLeg[] {
  return [
    { code: customerBalanceCode(hold.accountId), amountMicros: -toHoldsMicros },
    { code: platformAccountCode('holds', hold.currency, hold.accountId), amountMicros: toHoldsMicros },
  ];
}

function baseTransfer(hold: Pick<NewHold, 'accountId' | 'currency' | 'description' | 'userReference'>, key: string): Omit<PostTransferInput, 'flowType' | 'legs' | 'metadata'> {
  return {
    idempotencyKey: key,
    currency: hold.currency,
    accountId: hold.accountId,
    description: hold.description,
    userReference: hold.userReference,
    orderId: null,
  };
}

/** What a new hold is made of: everything its creation transfer carries. */
export interface NewHold {
  id: string;
  accountId: string;
  currency: Currency;
  idempotencyKey: string;
  amountMicros: bigint;
  description: string;
  userReference: string | null;
  expiresInSeconds: number;
  metadata: Record<string, string> | null;
}

/**
 * Moves the hold's amount from the customer's balance to the holds shard, and carries the hold for the
 * trigger to record; posted once per hold (its id follows from the Idempotency-Key, so a retry with
 * the same request is a replay, and with another request a reused key).
 */
export function holdCreationTransfer(hold: NewHold): PostTransferInput {
  const metadata: Record<string, string> = {
    hold_id: hold.id,
    amount_micros: hold.amountMicros.toString(),
    expires_in_seconds: String(hold.expiresInSeconds),
    idempotency_key: hold.idempotencyKey,
  };
  if (hold.metadata !== null) metadata.client_metadata = JSON.stringify(hold.metadata);
  return {
    ...baseTransfer(hold, `hold:${hold.id}:create`),
    flowType: 'hold',
    metadata,
    legs: holdLegs(hold, hold.amountMicros),
  };
}

/** Moves the difference to a new held amount, and optionally the expiry; each extension has a key of its own. */
export function holdExtensionTransfer(hold: StoredHold, amountMicros: bigint, expiresInSeconds: number | null): PostTransferInput {
  const metadata: Record<string, string> = {
    hold_id: hold.id,
    held_micros: hold.amountMicros.toString(),
    amount_micros: amountMicros.toString(),
  };
  if (expiresInSeconds !== null) metadata.expires_in_seconds = String(expiresInSeconds);
  return {
    ...baseTransfer(hold, `hold:${hold.id}:extend:${randomToken()}`),
    flowType: amountMicros > hold.amountMicros ? 'hold' : 'release',
    metadata,
    legs: holdLegs(hold, amountMicros - hold.amountMicros),
  };
}

/**
 * Ends the hold: the captured amount goes to usage revenue as a consumption, the rest back to the
 * customer. The same key for every outcome, so a hold is settled once; the same content for the same
 * outcome and amount, so a repeated capture or void is a replay.
 */
export function holdSettlementTransfer(
  hold: StoredHold,
  outcome: SettlementOutcome,
  capturedMicros: bigint,
  description: string | null,
): PostTransferInput {
  const releasedMicros = hold.amountMicros - capturedMicros;
  const legs: TransferLeg[] = [{ code: platformAccountCode('holds', hold.currency, hold.accountId), amountMicros: -hold.amountMicros }];
  if (capturedMicros > 0n) {
    legs.push({ code: platformAccountCode('usage_revenue', hold.currency, hold.accountId), amountMicros: capturedMicros });
  }
  if (releasedMicros > 0n) legs.push({ code: customerBalanceCode(hold.accountId), amountMicros: releasedMicros });
  const metadata: Record<string, string> = { hold_id: hold.id, hold_outcome: outcome, held_micros: hold.amountMicros.toString() };
  if (outcome === 'captured') metadata.captured_micros = capturedMicros.toString();
  return {
    ...baseTransfer(hold, `hold:${hold.id}:settle`),
    description: description ?? hold.description,
    flowType: outcome === 'captured' ? 'consume' : 'release',
    metadata,
    legs,
  };
}
