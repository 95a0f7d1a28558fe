// Records one admin write request in the audit log: who (the operator of its token), what (action and
// target), how it ended (the HTTP status), and a summary of its body. Rows are never changed.
import type { Sql } from '../client.ts';

export interface AdminActionRecord {
  operator: string;
  /** `topup.confirm_transfer`, `account.create`, …: the route's object and verb (api/admin-audit.ts). */
  action: string;
  /** The object acted on (an order, account, promo code or payment exception id), when there is one. */
  target: string | null;
  method: string;
  path: string;
  statusCode: number;
  requestId: string | null;
  /** The request body with secrets redacted and long values cut, or null without a body. */
  requestSummary: unknown;
}

/** Returns the id of the new row. */
export async function recordAdminAction(sql: Sql, record: AdminActionRecord): Promise<bigint> {
  const [row] = await sql<{ id: bigint }[]>`
    insert into admin_audit_log (operator, action, target, method, path, status_code, request_id, request_summary)
    values (${record.operator}, ${record.action}, ${record.target}, ${record.method}, ${record.path},
            ${record.statusCode}, ${record.requestId},
            ${record.requestSummary === null ? null : sql.json(record.requestSummary as never)})
    returning id`;
  return row!.id;
}
