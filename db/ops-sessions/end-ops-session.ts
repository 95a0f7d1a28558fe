// Ends an ops console session at sign-out; a session already ended keeps its first sign-out time.
import type { Sql } from '../client.ts';

/** Marks the session signed out; true when this call ended it. */
export async function endOpsSession(sql: Sql, id: string): Promise<boolean> {
  const rows = await sql`update ops_sessions set signed_out_at = now() where id = ${id} and signed_out_at is null`;
  return rows.count === 1;
}
