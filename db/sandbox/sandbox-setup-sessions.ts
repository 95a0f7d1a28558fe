// Setup sessions of the sandbox provider (its "Save card" page). Each operation is one statement:
// open → complete (with the test card chosen) or open → expired.
import type { Sql } from '../client.ts';

export interface SandboxSetupSessionRow {
  id: string;
  account_id: string;
  provider_customer_id: string;
  idempotency_key: string;
  status: 'open' | 'complete' | 'expired';
  card: string | null;
  success_url: string;
  cancel_url: string;
  expires_at: Date;
  created_at: Date;
}

export interface CreateSandboxSetupSessionInput {
  id: string;
  accountId: string;
  providerCustomerId: string;
  idempotencyKey: string;
  successUrl: string;
  cancelUrl: string;
  expiresAt: Date;
}

/** Creates the session, or returns the one the same Idempotency-Key already made. */
export async function createSandboxSetupSession(sql: Sql, input: CreateSandboxSetupSessionInput): Promise<SandboxSetupSessionRow> {
  await sql`
    insert into sandbox_setup_sessions (id, account_id, provider_customer_id, idempotency_key, status, success_url, cancel_url, expires_at)
    values (${input.id}, ${input.accountId}, ${input.providerCustomerId}, ${input.idempotencyKey}, 'open',
            ${input.successUrl}, ${input.cancelUrl}, ${input.expiresAt})
    on conflict (account_id, idempotency_key) do nothing`;
  const [row] = await sql<SandboxSetupSessionRow[]>`
    select * from sandbox_setup_sessions where account_id = ${input.accountId} and idempotency_key = ${input.idempotencyKey}`;
  return row!;
}

export async function getSandboxSetupSession(sql: Sql, id: string): Promise<SandboxSetupSessionRow | null> {
  const [row] = await sql<SandboxSetupSessionRow[]>`select * from sandbox_setup_sessions where id = ${id}`;
  return row ?? null;
}

/** Completes an open, unexpired session with the chosen card; null when it was not open any more. */
export async function completeSandboxSetupSession(sql: Sql, id: string, card: string): Promise<SandboxSetupSessionRow | null> {
  const [row] = await sql<SandboxSetupSessionRow[]>`
    update sandbox_setup_sessions set status = 'complete', card = ${card}
    where id = ${id} and status = 'open' and expires_at > now()
    returning *`;
  return row ?? null;
}
