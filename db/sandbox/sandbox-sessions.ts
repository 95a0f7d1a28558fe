// Checkout sessions of the sandbox provider. Each operation is one statement; together they are the
// sandbox's whole state machine: open → complete (paid or unpaid) or open → expired.
import type { Sql } from '../client.ts';

export interface SandboxSessionRow {
  id: string;
  order_id: string;
  amount_total_minor_units: bigint;
  currency: string;
  status: 'open' | 'complete' | 'expired';
  payment_status: 'unpaid' | 'paid';
  success_url: string;
  cancel_url: string;
  expires_at: Date;
  created_at: Date;
}

export interface CreateSandboxSessionInput {
  id: string;
  orderId: string;
  amountTotalMinorUnits: bigint;
  currency: string;
  successUrl: string;
  cancelUrl: string;
  expiresAt: Date;
}

/** Creates the order's session, or returns the one it already has. */
export async function createSandboxSession(sql: Sql, input: CreateSandboxSessionInput): Promise<SandboxSessionRow> {
  await sql`
    insert into sandbox_checkout_sessions (id, order_id, amount_total_minor_units, currency, status, payment_status,
                                           success_url, cancel_url, expires_at)
    values (${input.id}, ${input.orderId}, ${input.amountTotalMinorUnits.toString()}, ${input.currency}, 'open', 'unpaid',
            ${input.successUrl}, ${input.cancelUrl}, ${input.expiresAt})
    on conflict (order_id) do nothing`;
  const [row] = await sql<SandboxSessionRow[]>`select * from sandbox_checkout_sessions where order_id = ${input.orderId}`;
  return row!;
}

export async function getSandboxSession(sql: Sql, id: string): Promise<SandboxSessionRow | null> {
  const [row] = await sql<SandboxSessionRow[]>`select * from sandbox_checkout_sessions where id = ${id}`;
  return row ?? null;
}

/** Expires an open session; returns the session as it is afterwards (it may have completed first). */
export async function expireSandboxSession(sql: Sql, id: string): Promise<SandboxSessionRow | null> {
  await sql`update sandbox_checkout_sessions set status = 'expired' where id = ${id} and status = 'open'`;
  return getSandboxSession(sql, id);
}

/** Completes an open, unexpired session; null when it was not open any more. */
export async function completeSandboxSession(
  sql: Sql,
  id: string,
  paymentStatus: 'paid' | 'unpaid',
): Promise<SandboxSessionRow | null> {
  const [row] = await sql<SandboxSessionRow[]>`
    update sandbox_checkout_sessions set status = 'complete', payment_status = ${paymentStatus}
    where id = ${id} and status = 'open' and expires_at > now()
    returning *`;
  return row ?? null;
}

/** The paid sessions created in [from, to), oldest first: the sandbox's list of a day's payments. */
export async function listPaidSandboxSessions(sql: Sql, range: { from: Date; to: Date }): Promise<SandboxSessionRow[]> {
  return sql<SandboxSessionRow[]>`
    select * from sandbox_checkout_sessions
    where status = 'complete' and payment_status = 'paid' and created_at >= ${range.from} and created_at < ${range.to}
    order by created_at`;
}
