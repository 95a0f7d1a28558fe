// Reads a day's reconciliation report with its lines in order; null for a day no run has reported.
import type { Sql } from '../client.ts';
import type { ReconciliationReportLineRow, ReconciliationReportRow } from './reconciliation-report-row.ts';

export async function getReconciliationReport(sql: Sql, date: string): Promise<{ report: ReconciliationReportRow; lines: ReconciliationReportLineRow[] } | null> {
  const [report] = await sql<ReconciliationReportRow[]>`
    select to_char(report_date, 'YYYY-MM-DD') as report_date, provider, provider_payment_count, credited_order_count,
           difference_count, workflow_id, run_id, completed_at
    from reconciliation_reports where report_date = ${date}`;
  if (report === undefined) return null;
  const lines = await sql<ReconciliationReportLineRow[]>`
    select to_char(report_date, 'YYYY-MM-DD') as report_date, line_number, kind, order_id, checkout_session_id, provider_payment_id,
           provider_amount_minor_units, provider_currency, refill_amount_minor_units, refill_currency, payment_exception_id, detail
    from reconciliation_report_lines where report_date = ${date} order by line_number`;
  return { report, lines };
}
