// Looks up the session a console request's cookie names: only one that has neither expired nor been
// signed out counts.
import type { Sql } from '../client.ts';
import type { OpsSession } from './ops-session.ts';

/** The active session with this id (the digest of the cookie's secret), or null. */
export async function findActiveOpsSession(sql: Sql, id: string): Promise<OpsSession | null> {
  const [row] = await sql<{ id: string; operator: string; csrf_token: string; created_at: Date; expires_at: Date }[]>`
    select id, operator, csrf_token, created_at, expires_at from ops_sessions
    where id = ${id} and signed_out_at is null and expires_at > now()`;
  if (row === undefined) return null;
  return { id: row.id, operator: row.operator, csrfToken: row.csrf_token, createdAt: row.created_at, expiresAt: row.expires_at };
}
