// Deducts usage from a customer's balance: customer balance → usage revenue, refused below zero.
import type { Sql } from '../client.ts';
import type { Currency } from '../../domain/money.ts';
import { customerBalanceCode, platformAccountCode } from './ledger-account-codes.ts';
import type { LedgerBatcher } from './ledger-batcher.ts';
import { postTransfer, type PostTransferInput, type PostTransferResult } from './post-transfer.ts';
import type { AccountFlow } from './list-account-flows.ts';

export interface RecordConsumptionInput {
  accountId: string;
  currency: Currency;
  /** The client's Idempotency-Key; unique per account. */
  idempotencyKey: string;
  amountMicros: bigint;
  description: string;
  userReference: string | null;
  metadata: Record<string, string> | null;
}

export interface RecordConsumptionResult {
  flow: AccountFlow;
  replayed: boolean;
}

/** The ledger idempotency key of a consumption: client keys are only unique within their account. */
export function consumptionIdempotencyKey(accountId: string, clientKey: string): string {
  return `consume:${accountId}:${clientKey}`;
}

/** The transfer a consumption posts: from the customer's balance to its usage revenue shard. */
function consumptionTransfer(input: RecordConsumptionInput): PostTransferInput {
  return {
    idempotencyKey: consumptionIdempotencyKey(input.accountId, input.idempotencyKey),
    flowType: 'consume',
    currency: input.currency,
    accountId: input.accountId,
    description: input.description,
    userReference: input.userReference,
    orderId: null,
    metadata: input.metadata,
    legs: [
      { code: customerBalanceCode(input.accountId), amountMicros: -input.amountMicros },
      { code: platformAccountCode('usage_revenue', input.currency, input.accountId), amountMicros: input.amountMicros },
    ],
  };
}

/** The customer's side of the posted transfer, as the account flow it shows. */
function consumptionResult(input: RecordConsumptionInput, result: PostTransferResult): RecordConsumptionResult {
  const customerCode = customerBalanceCode(input.accountId);
  const entry = result.entries.find((candidate) => candidate.code === customerCode);
  if (entry === undefined) throw new Error(`transfer ${result.transferId} has no entry on ${customerCode}`);
  return {
    replayed: result.replayed,
    flow: {
      entryId: entry.entryId,
      transferId: result.transferId,
      flowType: 'consume',
      amountMicros: entry.amountMicros,
      balanceAfterMicros: entry.balanceAfterMicros,
      description: input.description,
      userReference: input.userReference,
      orderId: null,
      metadata: input.metadata,
      createdAt: result.createdAt,
    },
  };
}

/** Deducts in a transaction of its own: one commit per consumption. */
export async function recordConsumption(sql: Sql, input: RecordConsumptionInput): Promise<RecordConsumptionResult> {
  return consumptionResult(input, await postTransfer(sql, consumptionTransfer(input)));
}

/**
 * Deducts through the batcher, sharing a commit with the consumptions submitted at the same time; the
 * outcome, and each error, are those of recordConsumption, plus LedgerBusyError when the batcher is full.
 */
export async function recordConsumptionBatched(batcher: LedgerBatcher, input: RecordConsumptionInput): Promise<RecordConsumptionResult> {
  return consumptionResult(input, await batcher.submit(consumptionTransfer(input)));
}
