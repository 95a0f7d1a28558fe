// Lists disputes for ops, oldest first, by status; keyset pages.
import type { Sql } from '../client.ts';
import type { DisputeStatus } from '../../domain/refunds.ts';
import type { DisputeRow } from './dispute-row.ts';

export async function listDisputes(sql: Sql, input: { status: DisputeStatus | null; afterSequence: bigint | null; limit: number }): Promise<DisputeRow[]> {
  return sql<DisputeRow[]>`
    select * from disputes where true
      ${input.status === null ? sql`` : sql`and status = ${input.status}`}
      ${input.afterSequence === null ? sql`` : sql`and sequence > ${input.afterSequence.toString()}`}
    order by sequence limit ${input.limit}`;
}
