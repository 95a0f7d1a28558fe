// Lists an account's holds (or, for ops, every account's), newest first, by keyset pagination on their position.
import type { Sql } from '../client.ts';
import { holdFromRow, type HoldRow, type HoldStatus, type StoredHold } from './hold.ts';

export interface ListHoldsInput {
  /** Null for every account's holds (ops' view). */
  accountId: string | null;
  /** As a client sees it: 'active' excludes holds past their expiry, 'expired' includes them. */
  status: HoldStatus | null;
  /** Only holds older than this one (the previous page's last position). */
  beforePosition: bigint | null;
  limit: number;
}

function statusCondition(sql: Sql, status: HoldStatus | null) {
  if (status === null) return sql``;
  if (status === 'active') return sql`and status = 'active' and expires_at > now()`;
  if (status === 'expired') return sql`and (status = 'expired' or (status = 'active' and expires_at <= now()))`;
  return sql`and status = ${status}`;
}

export async function listHolds(sql: Sql, input: ListHoldsInput): Promise<StoredHold[]> {
  const rows = await sql<HoldRow[]>`
    select *, expires_at <= now() as past_expiry from holds
    where ${input.accountId === null ? sql`true` : sql`account_id = ${input.accountId}`}
      ${input.beforePosition === null ? sql`` : sql`and position < ${input.beforePosition.toString()}`}
      ${statusCondition(sql, input.status)}
    order by position desc
    limit ${input.limit}`;
  return rows.map(holdFromRow);
}
