// Removes a user's spend limit; true when there was one.
import type { Sql } from '../client.ts';

export async function deleteSpendLimit(sql: Sql, accountId: string, userReference: string): Promise<boolean> {
  const rows = await sql`delete from spend_limits where account_id = ${accountId} and user_reference = ${userReference} returning 1`;
  return rows.length > 0;
}
