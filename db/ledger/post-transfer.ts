// Posts one double-entry transfer, exactly once per idempotency key (see post_transfer in migration 0001).
import { createHash } from 'node:crypto';
import postgres from 'postgres';
import type { Queryable } from '../client.ts';
import type { Currency } from '../../domain/money.ts';

export type FlowType = 'recharge' | 'consume' | 'refund' | 'adjustment' | 'refund_reversal' | 'dispute' | 'dispute_reversal' | 'hold' | 'release';

export interface TransferLeg {
  code: string;
  /** Positive adds to the ledger account, negative takes from it; legs add up to zero. */
  amountMicros: bigint;
}

export interface PostTransferInput {
  idempotencyKey: string;
  flowType: FlowType;
  currency: Currency;
  accountId: string | null;
  description: string | null;
  userReference: string | null;
  orderId: string | null;
  metadata: Record<string, string> | null;
  legs: TransferLeg[];
}

export interface PostedEntry {
  entryId: bigint;
  code: string;
  amountMicros: bigint;
  balanceAfterMicros: bigint;
}

export interface PostTransferResult {
  transferId: bigint;
  /** True when this key had already been posted with the same content: nothing new was recorded. */
  replayed: boolean;
  createdAt: Date;
  entries: PostedEntry[];
}

export type LedgerErrorCode =
  | 'insufficient_balance'
  | 'idempotency_key_reused'
  | 'unknown_ledger_account'
  | 'malformed_transfer'
  // Refusals of the holds and spend-limit rules (migration 0012), raised at commit by the transfer's trigger.
  | 'hold_changed'
  | 'hold_expired'
  | 'spend_limit_reached';

/** A transfer the ledger refused; nothing was recorded. */
export class LedgerError extends Error {
  override name = 'LedgerError';
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const ledgerErrorBySqlState: Record<string, LedgerErrorCode> = {
  RF001: 'insufficient_balance',
  RF002: 'idempotency_key_reused',
  RF003: 'unknown_ledger_account',
  RF004: 'malformed_transfer',
  RF010: 'hold_changed',
  RF011: 'hold_expired',
  RF012: 'spend_limit_reached',
};

/** A digest of everything that defines the transfer, so a reused key with other content is caught. */
export function transferRequestHash(input: PostTransferInput): Buffer {
  const canonical = JSON.stringify([
    input.flowType,
    input.currency,
    input.accountId,
    input.description,
    input.userReference,
    input.orderId,
    input.metadata === null ? null : Object.entries(input.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    input.legs.map((leg) => [leg.code, leg.amountMicros.toString()]).sort(),
  ]);
  return createHash('sha256').update(canonical).digest();
}

interface PostTransferRow {
  transfer_id: bigint;
  replayed: boolean;
  entry_id: bigint;
  code: string;
  amount_micros: bigint;
  balance_after_micros: bigint;
  created_at: Date;
}

/** Posts the transfer, or returns the one already posted under its key; throws LedgerError when refused. */
export async function postTransfer(sql: Queryable, input: PostTransferInput): Promise<PostTransferResult> {
  let rows: PostTransferRow[];
  try {
    rows = await sql<PostTransferRow[]>`
      select * from post_transfer(
        ${input.idempotencyKey}, ${transferRequestHash(input)}, ${input.flowType}, ${input.currency},
        ${input.accountId}, ${input.description}, ${input.userReference}, ${input.orderId},
        ${input.metadata === null ? null : sql.json(input.metadata)},
        ${input.legs.map((leg) => leg.code)}::text[],
        ${input.legs.map((leg) => leg.amountMicros.toString())}::bigint[]
      )`;
  } catch (error) {
    const code = error instanceof postgres.PostgresError ? ledgerErrorBySqlState[error.code] : undefined;
    if (code !== undefined) throw new LedgerError(code, (error as Error).message);
    throw error;
  }
  const first = rows[0];
  if (first === undefined) throw new Error(`post_transfer returned no entries for ${input.idempotencyKey}`);
  return {
    transferId: first.transfer_id,
    replayed: first.replayed,
    createdAt: first.created_at,
    entries: rows.map((row) => ({
      entryId: row.entry_id,
      code: row.code,
      amountMicros: row.amount_micros,
      balanceAfterMicros: row.balance_after_micros,
    })),
  };
}
