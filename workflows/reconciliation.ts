// One reconciliation run, started by the worker's schedule (worker/reconciliation-schedule.ts): finds the
// orders Refill never heard back on, asks the provider about each, and delivers what it says as a payment
// event (activities/reconciliation.ts). The run writes nothing itself; its search attribute
// RefillReconciledOrderIds names the orders it delivered a payment for or turned into a payment exception.
import { ActivityFailure, log, upsertSearchAttributes } from '@temporalio/workflow';
import { touchedOrder, type ReconciledOrder, type ReconciliationInput, type ReconciliationSummary } from '../domain/reconciliation.ts';
import { reconciledOrderIdsKey } from '../domain/search-attributes.ts';
import { reconciliation } from './activity-options.ts';

export async function reconciliationWorkflow(input: ReconciliationInput): Promise<ReconciliationSummary> {
  const orderIds = await reconciliation.findOrdersToReconcile(input);
  const orders: ReconciledOrder[] = [];
  for (const orderId of orderIds) orders.push({ orderId, outcome: await reconcileOne(orderId) });
  const touched = orders.filter(touchedOrder).map((order) => order.orderId);
  if (touched.length > 0) upsertSearchAttributes([{ key: reconciledOrderIdsKey, value: touched }]);
  return { checked: orderIds.length, orders };
}

/** One order's failure past its retries is logged and left to the next run; the others go on. */
async function reconcileOne(orderId: string): Promise<ReconciledOrder['outcome']> {
  try {
    return await reconciliation.reconcileOrder(orderId);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    log.error('reconciliation could not ask about or deliver an order', { orderId, error: error.cause?.message ?? error.message });
    return 'failed';
  }
}
