// Lists the movements on a customer's balance ("account flows"), newest first, by keyset pagination.
import type { Sql } from '../client.ts';
import type { FlowType } from './post-transfer.ts';
import { customerBalanceCode } from './ledger-account-codes.ts';

export interface AccountFlow {
  /** The entry's id: entries of one account get ids in commit order, because the account row lock serialises them. */
  entryId: bigint;
  transferId: bigint;
  flowType: FlowType;
  amountMicros: bigint;
  balanceAfterMicros: bigint;
  description: string | null;
  userReference: string | null;
  orderId: string | null;
  metadata: Record<string, string> | null;
  createdAt: Date;
  /** The refund a refund flow (or its reversal) belongs to, from its metadata; null for other flows. */
  refundId?: string | null;
}

export interface ListAccountFlowsInput {
  accountId: string;
  flowType: FlowType | null;
  /** Only entries older than this one (the previous page's last entry id). */
  beforeEntryId: bigint | null;
  limit: number;
}

export async function listAccountFlows(sql: Sql, input: ListAccountFlowsInput): Promise<AccountFlow[]> {
  const rows = await sql<
    {
      entry_id: bigint;
      transfer_id: bigint;
      flow_type: FlowType;
      amount_micros: bigint;
      balance_after_micros: bigint;
      description: string | null;
      user_reference: string | null;
      order_id: string | null;
      metadata: Record<string, string> | null;
      created_at: Date;
    }[]
  >`
    select e.id as entry_id, e.transfer_id, t.flow_type, e.amount_micros, e.balance_after_micros,
           t.description, t.user_reference, t.order_id, t.metadata, e.created_at
    from entries e
    join transfers t on t.id = e.transfer_id
    where e.ledger_account_id = (select id from ledger_accounts where code = ${customerBalanceCode(input.accountId)})
      ${input.beforeEntryId === null ? sql`` : sql`and e.id < ${input.beforeEntryId.toString()}`}
      ${input.flowType === null ? sql`` : sql`and t.flow_type = ${input.flowType}`}
    order by e.id desc
    limit ${input.limit}`;
  return rows.map((row) => ({
    entryId: row.entry_id,
    transferId: row.transfer_id,
    flowType: row.flow_type,
    amountMicros: row.amount_micros,
    balanceAfterMicros: row.balance_after_micros,
    description: row.description,
    userReference: row.user_reference,
    orderId: row.order_id,
    metadata: row.metadata,
    createdAt: row.created_at,
    refundId: row.metadata?.refund_id ?? null,
  }));
}
