// Whether an account is restricted: a restriction in force (account_restrictions, migration 0011).
// Restrictions are opened by dispute workflows; read by the API before a deduction or a new top-up.
import type { Queryable } from '../client.ts';

export interface AccountRestriction {
  id: string;
  reason: string;
  createdAt: Date;
}

/** The restrictions in force on the account, oldest first; none means it is not restricted. */
export async function restrictionsInForce(sql: Queryable, accountId: string): Promise<AccountRestriction[]> {
  const rows = await sql<{ id: string; reason: string; created_at: Date }[]>`
    select id, reason, created_at from account_restrictions where account_id = ${accountId} and lifted_at is null order by created_at`;
  return rows.map((row) => ({ id: row.id, reason: row.reason, createdAt: row.created_at }));
}
