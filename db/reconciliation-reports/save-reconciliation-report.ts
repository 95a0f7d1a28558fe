// Stores a day's reconciliation report with its lines, replacing an earlier run's report of the same day
// in the same transaction, so the stored report is always one whole run.
import type { Sql } from '../client.ts';
import type { ReconciliationReportLineRow, ReconciliationReportRow } from './reconciliation-report-row.ts';

export type NewReportLine = Omit<ReconciliationReportLineRow, 'report_date' | 'line_number'>;

export async function saveReconciliationReport(sql: Sql, report: Omit<ReconciliationReportRow, 'completed_at'>, lines: NewReportLine[]): Promise<void> {
  await sql.begin(async (transaction) => {
    await transaction`delete from reconciliation_reports where report_date = ${report.report_date}`;
    await transaction`
      insert into reconciliation_reports (report_date, provider, provider_payment_count, credited_order_count, difference_count, workflow_id, run_id)
      values (${report.report_date}, ${report.provider}, ${report.provider_payment_count}, ${report.credited_order_count},
              ${report.difference_count}, ${report.workflow_id}, ${report.run_id})`;
    for (const [index, line] of lines.entries()) {
      await transaction`
        insert into reconciliation_report_lines (report_date, line_number, kind, order_id, checkout_session_id, provider_payment_id,
          provider_amount_minor_units, provider_currency, refill_amount_minor_units, refill_currency, payment_exception_id, detail)
        values (${report.report_date}, ${index + 1}, ${line.kind}, ${line.order_id}, ${line.checkout_session_id}, ${line.provider_payment_id},
          ${line.provider_amount_minor_units}, ${line.provider_currency}, ${line.refill_amount_minor_units}, ${line.refill_currency},
          ${line.payment_exception_id}, ${line.detail})`;
    }
  });
}
