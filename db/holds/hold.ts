// A hold as the holds table stores it, read by every hold operation. The holds table is written only
// through the operations of db/holds (the row) and the trigger of migration 0010 (its state, in the
// transaction of the ledger transfer that changes it): one writer per hold at a time, the ledger.
import type { Queryable } from '../client.ts';
import type { Currency } from '../../domain/money.ts';

export type StoredHoldStatus = 'pending' | 'active' | 'captured' | 'voided' | 'expired';
/** What a client sees: an active hold past its expiry is expired, whether or not its release is posted. */
export type HoldStatus = Exclude<StoredHoldStatus, 'pending'>;

export interface Hold {
  id: string;
  position: bigint;
  accountId: string;
  currency: Currency;
  status: HoldStatus;
  /** True while the hold's money is still on the holds account (active, even past its expiry). */
  holdsMoney: boolean;
  amountMicros: bigint;
  capturedMicros: bigint | null;
  userReference: string | null;
  description: string;
  metadata: Record<string, string> | null;
  expiresInSeconds: number;
  expiresAt: Date | null;
  createdAt: Date;
  settledAt: Date | null;
}

/** The pending row as stored: pending holds are not shown to clients. */
export interface StoredHold extends Omit<Hold, 'status'> {
  storedStatus: StoredHoldStatus;
  status: HoldStatus | null;
  requestHash: Buffer;
}

export interface HoldRow {
  id: string;
  position: bigint;
  account_id: string;
  currency: Currency;
  status: StoredHoldStatus;
  past_expiry: boolean;
  amount_micros: bigint;
  captured_micros: bigint | null;
  user_reference: string | null;
  description: string;
  metadata: Record<string, string> | null;
  expires_in_seconds: number;
  expires_at: Date | null;
  created_at: Date;
  settled_at: Date | null;
  request_hash: Buffer;
}

/** Turns a row (selected with holdColumns) into a hold, deriving the status a client sees. */
export function holdFromRow(row: HoldRow): StoredHold {
  const status: HoldStatus | null =
    row.status === 'pending' ? null : row.status === 'active' && row.past_expiry ? 'expired' : row.status;
  return {
    id: row.id,
    position: row.position,
    accountId: row.account_id,
    currency: row.currency,
    storedStatus: row.status,
    status,
    holdsMoney: row.status === 'active',
    amountMicros: row.amount_micros,
    capturedMicros: row.captured_micros,
    userReference: row.user_reference,
    description: row.description,
    metadata: row.metadata,
    expiresInSeconds: row.expires_in_seconds,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    settledAt: row.settled_at,
    requestHash: row.request_hash,
  };
}

/** Reads one hold of an account, pending ones included; null when the account has no such hold. */
export async function readHold(sql: Queryable, accountId: string, holdId: string): Promise<StoredHold | null> {
  const [row] = await sql<HoldRow[]>`
    select *, coalesce(expires_at <= now(), false) as past_expiry from holds
    where id = ${holdId} and account_id = ${accountId}`;
  return row === undefined ? null : holdFromRow(row);
}
