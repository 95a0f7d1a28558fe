// A hold as the holds table stores it, read by every hold operation. The holds table is written by the
// trigger of migration 0012 alone, in the transaction of each ledger transfer of the hold (creation,
// extension, settlement), and by extend-hold.ts when only the expiry moves: the ledger is its writer.
import type { Queryable } from '../client.ts';
import type { Currency } from '../../domain/money.ts';

export type StoredHoldStatus = 'active' | 'captured' | 'voided' | 'expired';
/** What a client sees: an active hold past its expiry is expired, whether or not its release is posted. */
export type HoldStatus = StoredHoldStatus;

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
  expiresAt: Date;
  createdAt: Date;
  settledAt: Date | null;
}

/** The hold with the status its row holds, which stays active past the expiry until the release is posted. */
export interface StoredHold extends Hold {
  storedStatus: StoredHoldStatus;
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
  expires_at: Date;
  created_at: Date;
  settled_at: Date | null;
}

/** Turns a row (selected with holdColumns) into a hold, deriving the status a client sees. */
export function holdFromRow(row: HoldRow): StoredHold {
  const status: HoldStatus = row.status === 'active' && row.past_expiry ? 'expired' : row.status;
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
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    settledAt: row.settled_at,
  };
}

/** Reads one hold of an account; null when the account has no such hold. */
export async function readHold(sql: Queryable, accountId: string, holdId: string): Promise<StoredHold | null> {
  const [row] = await sql<HoldRow[]>`
    select *, expires_at <= now() as past_expiry from holds
    where id = ${holdId} and account_id = ${accountId}`;
  return row === undefined ? null : holdFromRow(row);
}
