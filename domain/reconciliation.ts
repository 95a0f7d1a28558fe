// Reconciliation: what the schedule's workflow asks about orders Refill never heard back on, and what it
// learned. Shared by the workflow (workflows/reconciliation.ts), its activities and the worker's schedule.

/** What one run looks for; the schedule's action carries it, from RECONCILIATION_* at the worker's start. */
export interface ReconciliationInput {
  /** A pending order is asked about once it is this old (or past its expiry). */
  pendingAgeSeconds: number;
  /** A processing order (an asynchronous payment under way) is asked about once it is this old. */
  processingAgeSeconds: number;
  /** At most this many orders a run, oldest first; the next run takes the rest. */
  limit: number;
}

/** The most orders one run asks the provider about. */
export const reconciliationBatchSize = 100;

/**
 * What reconciling one order did:
 * - delivered: the provider's payment went to the order's workflow as a payment event;
 * - payment_exception: the workflow had closed, so the payment became a payment exception for ops;
 * - already_known: the same event (or one with the same content) had been handled before;
 * - not_paid: the provider has no payment for the order (yet);
 * - not_asked: nothing to ask (no checkout session, or a provider that cannot be asked);
 * - failed: the provider or the delivery failed past its retries; the next run asks again.
 */
export type ReconcileOrderOutcome = 'delivered' | 'payment_exception' | 'already_known' | 'not_paid' | 'not_asked' | 'failed';

export interface ReconciledOrder {
  orderId: string;
  outcome: ReconcileOrderOutcome;
}

export interface ReconciliationSummary {
  checked: number;
  orders: ReconciledOrder[];
}

/** Outcomes that changed something: the orders the run's search attribute names. */
export function touchedOrder(order: ReconciledOrder): boolean {
  return order.outcome === 'delivered' || order.outcome === 'payment_exception';
}

/** The schedule of a task queue's workers: one per task queue, so test workers never share one. */
export function reconciliationScheduleId(taskQueue: string): string {
  return `reconciliation-${taskQueue}`;
}
