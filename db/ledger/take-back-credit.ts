// Takes credit back from a customer's balance into the refunds account, for a refund or a dispute, in the
// caller's transaction and exactly once per idempotency key. The balance is locked and read in the same
// transaction as the transfer, so nothing spends it in between and it never goes below zero.
//   - 'refuse' (refunds Refill starts): all of it, or nothing (insufficient balance);
//   - 'cap' (disputes, refunds made at the provider): down to what the balance holds, and the rest as the
//     account's debt (its customer_debt ledger account, a receivable: zero or negative, never positive).
import type { TransactionSql } from '../client.ts';
import type { Currency } from '../../domain/money.ts';
import { customerBalanceCode, platformAccountCode } from './ledger-account-codes.ts';
import { LedgerError, postTransfer, type FlowType, type TransferLeg } from './post-transfer.ts';

/** The ledger account of a customer's debt. */
export function customerDebtCode(accountId: string): string {
  return `debt:${accountId}`;
}

export interface TakeBackCreditInput {
  idempotencyKey: string;
  flowType: FlowType;
  accountId: string;
  currency: Currency;
  orderId: string;
  creditMicros: bigint;
  shortfall: 'refuse' | 'cap';
  description: string;
  metadata: Record<string, string>;
}

export interface TakeBackCreditResult {
  transferId: bigint;
  /** From the balance, and recorded as debt; they add up to creditMicros. */
  takenMicros: bigint;
  debtMicros: bigint;
}

/** Posts the take-back; a replay of the key returns the first one's split. Throws LedgerError when refused. */
export async function takeBackCredit(transaction: TransactionSql, input: TakeBackCreditInput): Promise<TakeBackCreditResult> {
  const customer = customerBalanceCode(input.accountId);
  const debt = customerDebtCode(input.accountId);
  const existing = await postedSplit(transaction, input.idempotencyKey, customer, debt);
  if (existing !== null) return existing;
  const [locked] = await transaction<{ balance_micros: bigint }[]>`
    select balance_micros from ledger_accounts where code = ${customer} for update`;
  if (locked === undefined) throw new LedgerError('unknown_ledger_account', `${customer} does not exist`);
  const available = locked.balance_micros;
  if (input.shortfall === 'refuse' && available < input.creditMicros) {
    throw new LedgerError('insufficient_balance', `the balance ${available} does not cover ${input.creditMicros}`);
  }
  const takenMicros = available < input.creditMicros ? available : input.creditMicros;
  const debtMicros = input.creditMicros - takenMicros;
  const legs: TransferLeg[] = [{ code: platformAccountCode('refunds', input.currency, input.accountId), amountMicros: input.creditMicros }];
  if (takenMicros > 0n) legs.push({ code: customer, amountMicros: -takenMicros });
  if (debtMicros > 0n) {
    await transaction`
      insert into ledger_accounts (code, kind, currency, account_id, may_go_negative)
      values (${debt}, 'customer_debt', ${input.currency}, ${input.accountId}, true)
      on conflict (code) do nothing`;
    legs.push({ code: debt, amountMicros: -debtMicros });
  }
  const posted = await postTransfer(transaction, {
    idempotencyKey: input.idempotencyKey,
    flowType: input.flowType,
    currency: input.currency,
    accountId: input.accountId,
    description: input.description,
    userReference: null,
    orderId: input.orderId,
    metadata: input.metadata,
    legs,
  });
  return { transferId: posted.transferId, takenMicros, debtMicros };
}

/** Gives back exactly what a take-back took (balance and debt), once per idempotency key. */
export async function reverseTakeBack(
  transaction: TransactionSql,
  input: { takeBackKey: string; idempotencyKey: string; flowType: FlowType; description: string; metadata: Record<string, string> },
): Promise<bigint | null> {
  const [original] = await transaction<{ currency: Currency; account_id: string; order_id: string }[]>`
    select currency, account_id, order_id from transfers where idempotency_key = ${input.takeBackKey}`;
  if (original === undefined) return null;
  const legs = await transaction<{ code: string; amount_micros: bigint }[]>`
    select l.code, e.amount_micros from entries e
    join transfers t on t.id = e.transfer_id join ledger_accounts l on l.id = e.ledger_account_id
    where t.idempotency_key = ${input.takeBackKey} order by e.id`;
  const posted = await postTransfer(transaction, {
    idempotencyKey: input.idempotencyKey,
    flowType: input.flowType,
    currency: original.currency,
    accountId: original.account_id,
    description: input.description,
    userReference: null,
    orderId: original.order_id,
    metadata: input.metadata,
    legs: legs.map((leg) => ({ code: leg.code, amountMicros: -leg.amount_micros })),
  });
  return posted.transferId;
}

async function postedSplit(transaction: TransactionSql, key: string, customer: string, debt: string): Promise<TakeBackCreditResult | null> {
  const rows = await transaction<{ transfer_id: bigint; code: string; amount_micros: bigint }[]>`
    select t.id as transfer_id, l.code, e.amount_micros from transfers t
    join entries e on e.transfer_id = t.id join ledger_accounts l on l.id = e.ledger_account_id
    where t.idempotency_key = ${key}`;
  if (rows.length === 0) return null;
  const amountOn = (code: string) => -(rows.find((row) => row.code === code)?.amount_micros ?? 0n);
  return { transferId: rows[0]!.transfer_id, takenMicros: amountOn(customer), debtMicros: amountOn(debt) };
}
