// Looks up an account by its id: for a portal session (api/auth.ts), whose token names the account.
import type { Sql } from '../client.ts';
import type { Currency } from '../../domain/money.ts';
import type { AuthenticatedAccount } from './find-account-by-api-key.ts';

/** The account, or null when there is none by that id. */
export async function findAccountById(sql: Sql, accountId: string): Promise<AuthenticatedAccount | null> {
  const [row] = await sql<{ id: string; email: string; currency: Currency }[]>`
    select id, email, currency from accounts where id = ${accountId}`;
  return row === undefined ? null : { accountId: row.id, email: row.email, currency: row.currency };
}
