// One row of the audit log of ops (admin_audit_log, db/migrations/0008_admin_audit_log.sql).

export interface AdminActionRow {
  id: bigint;
  operator: string;
  action: string;
  target: string | null;
  method: string;
  path: string;
  status_code: number;
  request_id: string | null;
  request_summary: unknown;
  occurred_at: Date;
}
