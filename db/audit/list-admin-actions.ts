// Ops' view of the audit log, newest first, by keyset, optionally for one operator, action or target.
import type { Sql } from '../client.ts';
import type { AdminActionRow } from './admin-action-row.ts';

export interface ListAdminActionsInput {
  operator: string | null;
  action: string | null;
  target: string | null;
  /** The id of the last row of the previous page: this page holds older rows. */
  beforeId: bigint | null;
  limit: number;
}

export async function listAdminActions(sql: Sql, input: ListAdminActionsInput): Promise<AdminActionRow[]> {
  return sql<AdminActionRow[]>`
    select * from admin_audit_log
    where true
      ${input.operator === null ? sql`` : sql`and operator = ${input.operator}`}
      ${input.action === null ? sql`` : sql`and action = ${input.action}`}
      ${input.target === null ? sql`` : sql`and target = ${input.target}`}
      ${input.beforeId === null ? sql`` : sql`and id < ${input.beforeId}`}
    order by id desc
    limit ${input.limit}`;
}
