// Looks up the account an API key belongs to, for authentication.
import type { Sql } from '../client.ts';
import type { Currency } from '../../domain/money.ts';
import { hashApiKey } from './create-account.ts';

export interface AuthenticatedAccount {
  accountId: string;
  email: string;
  currency: Currency;
}

/** The account of a key given by its stored form (hashApiKey), or null when the key is unknown or revoked. */
export async function findAccountByKeyHash(sql: Sql, keyHash: Buffer): Promise<AuthenticatedAccount | null> {
  const [row] = await sql<{ id: string; email: string; currency: Currency }[]>`
    select a.id, a.email, a.currency
    from api_keys k join accounts a on a.id = k.account_id
    where k.key_hash = ${keyHash} and k.revoked_at is null`;
  return row === undefined ? null : { accountId: row.id, email: row.email, currency: row.currency };
}

/** The key's account, or null when the key is unknown or revoked. */
export async function findAccountByApiKey(sql: Sql, apiKey: string): Promise<AuthenticatedAccount | null> {
  return findAccountByKeyHash(sql, hashApiKey(apiKey));
}
