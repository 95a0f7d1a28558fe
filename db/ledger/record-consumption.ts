// Deducts usage from a customer's balance: customer balance → usage revenue, refused below zero.
import type { Sql } from '../client.ts';
import type { Currency } from '../../domain/money.ts';
import { customerBalanceCode, platformAccountCode } from './ledger-account-codes.ts';
import { postTransfer } from './post-transfer.ts';
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

export async function recordConsumption(sql: Sql, input: RecordConsumptionInput): Promise<RecordConsumptionResult> {
  const customerCode = customerBalanceCode(input.accountId);
  const result = await postTransfer(sql, {
    idempotencyKey: consumptionIdempotencyKey(input.accountId, input.idempotencyKey),
    flowType: 'consume',
    currency: input.currency,
    accountId: input.accountId,
    description: input.description,
    userReference: input.userReference,
    orderId: null,
    metadata: input.metadata,
    legs: [
      { code: customerCode, amountMicros: -input.amountMicros },
      { code: platformAccountCode('usage_revenue', input.currency, input.accountId), amountMicros: input.amountMicros },
    ],
  });
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
