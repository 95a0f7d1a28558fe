-- The daily reconciliation's reports (README "Reconciliation"): for one UTC day, what the payment
-- provider listed as paid and what Refill credited, and every difference between them, one line each.
-- Written only by the daily reconciliation workflow's report activity (activities/daily-reconciliation.ts);
-- a re-run of the same day replaces the day's report, in one transaction.

create table reconciliation_reports (
  report_date date primary key,
  -- The provider whose list was compared (the worker's payment provider: stripe, sandbox or routing).
  provider text not null,
  provider_payment_count integer not null check (provider_payment_count >= 0),
  credited_order_count integer not null check (credited_order_count >= 0),
  difference_count integer not null check (difference_count >= 0),
  -- The workflow run that wrote it, for the Temporal UI.
  workflow_id text not null,
  run_id text not null,
  completed_at timestamptz not null default now()
);

create table reconciliation_report_lines (
  report_date date not null references reconciliation_reports (report_date) on delete cascade,
  line_number integer not null check (line_number >= 1),
  kind text not null check (kind in ('paid_not_credited', 'credited_not_paid', 'amount_differs')),
  order_id text,
  checkout_session_id text,
  provider_payment_id text,
  -- Both sides in the currency's minor units and lower-case currency; null where a side has nothing.
  provider_amount_minor_units bigint,
  provider_currency text,
  refill_amount_minor_units bigint,
  refill_currency text,
  -- The payment exception the difference opened (or found open already); null when it names no order.
  payment_exception_id text,
  detail text not null,
  primary key (report_date, line_number)
);
