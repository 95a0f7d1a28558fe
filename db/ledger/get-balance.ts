// Reads a customer's balance from its ledger account.
import type { Sql } from '../client.ts';
import type { Currency } from '../../domain/money.ts';
import { customerBalanceCode } from './ledger-account-codes.ts';

export interface Balance {
  accountId: string;
  currency: Currency;
  balanceMicros: bigint;
  updatedAt: Date;
}

export async function getBalance(sql: Sql, accountId: string): Promise<Balance | null> {
  const [row] = await sql<{ currency: Currency; balance_micros: bigint; updated_at: Date }[]>`
    select currency, balance_micros, updated_at from ledger_accounts where code = ${customerBalanceCode(accountId)}`;
  return row === undefined
    ? null
    : { accountId, currency: row.currency, balanceMicros: row.balance_micros, updatedAt: row.updated_at };
}
