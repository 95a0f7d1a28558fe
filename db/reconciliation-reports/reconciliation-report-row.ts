// The rows of reconciliation_reports and reconciliation_report_lines (migration 0017).
import type { DifferenceKind } from '../../domain/daily-reconciliation.ts';

export interface ReconciliationReportRow {
  report_date: string;
  provider: string;
  provider_payment_count: number;
  credited_order_count: number;
  difference_count: number;
  workflow_id: string;
  run_id: string;
  completed_at: Date;
}

export interface ReconciliationReportLineRow {
  report_date: string;
  line_number: number;
  kind: DifferenceKind;
  order_id: string | null;
  checkout_session_id: string | null;
  provider_payment_id: string | null;
  provider_amount_minor_units: bigint | null;
  provider_currency: string | null;
  refill_amount_minor_units: bigint | null;
  refill_currency: string | null;
  payment_exception_id: string | null;
  detail: string;
}
