// Posts many double-entry transfers in one call and one commit (see post_transfers in migration 0001).
// Each transfer gets the outcome postTransfer would give it, as if they were posted one after another
// in the order given; a refused transfer leaves the others as they are.
import type { Queryable } from '../client.ts';
import {
  LedgerError,
  transferRequestHash,
  type LedgerErrorCode,
  type PostedEntry,
  type PostTransferInput,
  type PostTransferResult,
} from './post-transfer.ts';

/**
 * The most transfers one call takes. A batch holds the locks of every ledger account it names until it
 * commits, so its size bounds how long a transfer outside the batch can wait for one of those locks.
 */
export const maximumTransfersPerCall = 1_000;

/** What became of one transfer of a batch: its result, or the reason it was refused (nothing was recorded). */
export type PostTransfersOutcome = { posted: true; result: PostTransferResult } | { posted: false; error: LedgerError };

type ItemStatus = 'posted' | 'replayed' | LedgerErrorCode;

const refusalStatuses: ReadonlySet<string> = new Set<LedgerErrorCode>([
  'insufficient_balance',
  'idempotency_key_reused',
  'unknown_ledger_account',
  'malformed_transfer',
]);

/**
 * One transfer as post_transfers() reads it; amounts are strings, because JSON has no 64-bit integers.
 * A type alias, not an interface, so that it is assignable to postgres.js's JSON type.
 */
type BatchItem = {
  idempotency_key: string;
  request_hash: string;
  flow_type: string;
  currency: string;
  account_id: string | null;
  description: string | null;
  user_reference: string | null;
  order_id: string | null;
  metadata: Record<string, string> | null;
  legs: { code: string; amount_micros: string }[];
};

interface PostTransfersRow {
  item_index: number;
  status: ItemStatus;
  detail: string | null;
  transfer_id: bigint | null;
  replayed: boolean;
  entry_id: bigint | null;
  code: string | null;
  amount_micros: bigint | null;
  balance_after_micros: bigint | null;
  created_at: Date | null;
}

function batchItem(input: PostTransferInput): BatchItem {
  return {
    idempotency_key: input.idempotencyKey,
    request_hash: transferRequestHash(input).toString('hex'),
    flow_type: input.flowType,
    currency: input.currency,
    account_id: input.accountId,
    description: input.description,
    user_reference: input.userReference,
    order_id: input.orderId,
    metadata: input.metadata,
    legs: input.legs.map((leg) => ({ code: leg.code, amount_micros: leg.amountMicros.toString() })),
  };
}

/** Builds one transfer's outcome from its rows: one per entry when posted or replayed, one when refused. */
function outcomeFromRows(input: PostTransferInput, rows: PostTransfersRow[]): PostTransfersOutcome {
  const first = rows[0];
  if (first === undefined) throw new Error(`post_transfers returned nothing for ${input.idempotencyKey}`);
  if (refusalStatuses.has(first.status)) {
    return { posted: false, error: new LedgerError(first.status as LedgerErrorCode, first.detail ?? first.status) };
  }
  if ((first.status !== 'posted' && first.status !== 'replayed') || first.transfer_id === null || first.created_at === null) {
    throw new Error(`post_transfers returned status ${first.status} without a transfer for ${input.idempotencyKey}`);
  }
  const entries: PostedEntry[] = rows.map((row) => {
    if (row.entry_id === null || row.code === null || row.amount_micros === null || row.balance_after_micros === null) {
      throw new Error(`post_transfers returned transfer ${first.transfer_id} without its entries`);
    }
    return { entryId: row.entry_id, code: row.code, amountMicros: row.amount_micros, balanceAfterMicros: row.balance_after_micros };
  });
  return { posted: true, result: { transferId: first.transfer_id, replayed: first.replayed, createdAt: first.created_at, entries } };
}

/**
 * Posts the transfers in one transaction, in order, and returns one outcome per transfer, in the same
 * order. Refusals are outcomes, never thrown. Throws when the whole call failed, in which case nothing
 * was recorded: a lost connection, or SQLSTATE RF005 (a reused key raced the batch), after which the
 * transfers are to be posted one by one with postTransfer.
 */
export async function postTransfers(sql: Queryable, inputs: PostTransferInput[]): Promise<PostTransfersOutcome[]> {
  if (inputs.length === 0) return [];
  if (inputs.length > maximumTransfersPerCall) {
    throw new RangeError(`post_transfers takes at most ${maximumTransfersPerCall} transfers, not ${inputs.length}`);
  }
  const rows = await sql<PostTransfersRow[]>`select * from post_transfers(${sql.json(inputs.map(batchItem))})`;
  const rowsByItem: PostTransfersRow[][] = inputs.map(() => []);
  for (const row of rows) {
    const itemRows = rowsByItem[row.item_index - 1];
    if (itemRows === undefined) throw new Error(`post_transfers returned item ${row.item_index} of ${inputs.length}`);
    itemRows.push(row);
  }
  return inputs.map((input, index) => outcomeFromRows(input, rowsByItem[index]!));
}
