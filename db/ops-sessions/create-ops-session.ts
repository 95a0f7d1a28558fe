// Records a new ops console session at sign-in. The caller draws the secret and the CSRF token; only the
// secret's digest is stored.
import type { Sql } from '../client.ts';
import type { OpsSession } from './ops-session.ts';

export interface CreateOpsSessionInput {
  id: string;
  operator: string;
  csrfToken: string;
  lifetimeHours: number;
}

/** Inserts the session; it expires lifetimeHours after the database's now. */
export async function createOpsSession(sql: Sql, input: CreateOpsSessionInput): Promise<OpsSession> {
  const [row] = await sql<{ created_at: Date; expires_at: Date }[]>`
    insert into ops_sessions (id, operator, csrf_token, expires_at)
    values (${input.id}, ${input.operator}, ${input.csrfToken}, now() + make_interval(hours => ${input.lifetimeHours}))
    returning created_at, expires_at`;
  return { id: input.id, operator: input.operator, csrfToken: input.csrfToken, createdAt: row!.created_at, expiresAt: row!.expires_at };
}
