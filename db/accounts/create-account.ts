// Creates a customer account with its first API key and its balance ledger account, atomically.
import { createHash } from 'node:crypto';
import type { Sql } from '../client.ts';
import type { Currency } from '../../domain/money.ts';
import { newAccountId, newApiKey } from '../../ids/ids.ts';
import { customerBalanceCode } from '../ledger/ledger-account-codes.ts';

export interface CreateAccountInput {
  email: string;
  currency: Currency;
}

export interface CreateAccountResult {
  accountId: string;
  /** Returned once; only its hash is stored. */
  apiKey: string;
  currency: Currency;
  createdAt: Date;
}

/** The stored form of an API key. */
export function hashApiKey(apiKey: string): Buffer {
  return createHash('sha256').update(apiKey).digest();
}

export async function createAccount(sql: Sql, input: CreateAccountInput): Promise<CreateAccountResult> {
  const accountId = newAccountId();
  const apiKey = newApiKey();
  const [account] = await sql.begin(async (transaction) => {
    const inserted = await transaction<{ created_at: Date }[]>`
      insert into accounts (id, email, currency) values (${accountId}, ${input.email}, ${input.currency})
      returning created_at`;
    await transaction`
      insert into api_keys (key_hash, account_id, key_prefix)
      values (${hashApiKey(apiKey)}, ${accountId}, ${apiKey.slice(0, 8)})`;
    await transaction`
      insert into ledger_accounts (code, kind, currency, account_id, may_go_negative)
      values (${customerBalanceCode(accountId)}, 'customer_balance', ${input.currency}, ${accountId}, false)`;
    return inserted;
  });
  return { accountId, apiKey, currency: input.currency, createdAt: account!.created_at };
}
