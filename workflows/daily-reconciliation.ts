// One daily reconciliation run, started by the worker's daily schedule (worker/daily-reconciliation-schedule.ts)
// or by ops for a day they name: compares the provider's successful payments of a UTC day with the card
// orders Refill credited that day, and records each difference as a payment exception and a line of the
// day's report (activities/daily-reconciliation.ts owns the report). Its search attribute
// RefillReconciledOrderIds names the orders its differences concern. Deterministic orchestration only.
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { failure } from '../domain/failures.ts';
import { parseReportDate, previousUtcDay, type DailyReconciliationInput, type DailyReconciliationResult } from '../domain/daily-reconciliation.ts';
import { reconciledOrderIdsKey } from '../domain/search-attributes.ts';
import { reconciliation } from './activity-options.ts';

/** A search attribute holds a bounded list: the run's first orders; its report has them all. */
const maximumSearchAttributeOrderIds = 100;

export async function dailyReconciliationWorkflow(input: DailyReconciliationInput = {}): Promise<DailyReconciliationResult> {
  // The workflow's clock is its task's time, so the default day replays as it ran.
  const date = input.date === undefined ? previousUtcDay(new Date()) : parseReportDate(input.date);
  if (date === null) throw failure('reconciliation_date_invalid', `not a YYYY-MM-DD day: ${String(input.date)}`);
  const comparison = await reconciliation.compareDailyPayments(date);
  const { workflowId, runId } = workflowInfo();
  const orderIds = await reconciliation.recordDailyReport({ comparison, workflowId, runId });
  if (orderIds.length > 0) upsertSearchAttributes([{ key: reconciledOrderIdsKey, value: orderIds.slice(0, maximumSearchAttributeOrderIds) }]);
  return {
    date,
    providerPaymentCount: comparison.providerPaymentCount,
    creditedOrderCount: comparison.creditedOrderCount,
    differences: comparison.differences.length,
    orderIds,
  };
}
