// Credits a paid top-up order to the customer's balance, exactly once per order:
// the payment comes from payment clearing, the discount and bonus from the promotional account.
import type { Queryable } from '../client.ts';
import type { Currency } from '../../domain/money.ts';
import { customerBalanceCode, platformAccountCode } from './ledger-account-codes.ts';
import { postTransfer, type PostTransferInput, type TransferLeg } from './post-transfer.ts';

export interface RecordRechargeInput {
  orderId: string;
  accountId: string;
  currency: Currency;
  /** What the customer paid. */
  payAmountMicros: bigint;
  /** What lands on the balance: the chosen amount plus bonus. */
  creditMicros: bigint;
  description: string;
  /** Shown with the flow, e.g. why a bank transfer was credited other than quoted; none by default. */
  metadata?: Record<string, string> | null;
  /** The transfer's idempotency key; by default the order's one credit (rechargeIdempotencyKey). */
  idempotencyKey?: string;
}

export interface RecordRechargeResult {
  transferId: bigint;
  entryId: bigint;
  balanceAfterMicros: bigint;
  createdAt: Date;
  replayed: boolean;
}

/** The ledger idempotency key of an order's credit: one per order, whoever asks and however often. */
export function rechargeIdempotencyKey(orderId: string): string {
  return `recharge:${orderId}`;
}

/** The transfer of a recharge: the credit to the customer, from payment clearing and the promotional account. */
export function rechargeTransfer(input: RecordRechargeInput): PostTransferInput {
  const promotionalMicros = input.creditMicros - input.payAmountMicros;
  const legs: TransferLeg[] = [{ code: customerBalanceCode(input.accountId), amountMicros: input.creditMicros }];
  if (input.payAmountMicros > 0n) {
    legs.push({ code: platformAccountCode('payment_clearing', input.currency, input.accountId), amountMicros: -input.payAmountMicros });
  }
  if (promotionalMicros !== 0n) {
    legs.push({ code: platformAccountCode('promotional', input.currency, input.accountId), amountMicros: -promotionalMicros });
  }
  return {
    idempotencyKey: input.idempotencyKey ?? rechargeIdempotencyKey(input.orderId),
    flowType: 'recharge',
    currency: input.currency,
    accountId: input.accountId,
    description: input.description,
    userReference: null,
    orderId: input.orderId,
    metadata: input.metadata ?? null,
    legs,
  };
}

export async function recordRecharge(sql: Queryable, input: RecordRechargeInput): Promise<RecordRechargeResult> {
  const customerCode = customerBalanceCode(input.accountId);
  const result = await postTransfer(sql, rechargeTransfer(input));
  const entry = result.entries.find((candidate) => candidate.code === customerCode);
  if (entry === undefined) throw new Error(`transfer ${result.transferId} has no entry on ${customerCode}`);
  return {
    transferId: result.transferId,
    entryId: entry.entryId,
    balanceAfterMicros: entry.balanceAfterMicros,
    createdAt: result.createdAt,
    replayed: result.replayed,
  };
}
