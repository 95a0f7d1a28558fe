// Where an order workflow's steps run, chosen once per run (behind leanOrderPatch, workflows/order-run.ts):
// runs started before the patch run their database steps as activities and their paperwork on the order's
// task queue, as their histories recorded; new runs run the database steps as local activities (falling
// back to the server once the local budget is spent) and the paperwork on the paperwork task queue.
// Deterministic orchestration only.
import type { ActivityInterfaceFor } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.ts';
import { database, localDatabase, paperworkActivities, receipt } from './activity-options.ts';
import { defaultInvoiceStepOptions, type InvoiceStepOptions } from './invoice-step.ts';
import { leanOrderPath, localFirst, paperworkTaskQueueOf } from './order-run.ts';

type Stubs = ActivityInterfaceFor<OrderActivities>;

export interface OrderSteps {
  /** Whether this run took the patched path. */
  lean: boolean;
  /** Runs one short database step (record, save, credit, an ops action record). */
  databaseStep<Result>(call: (activities: Stubs) => Promise<Result>): Promise<Result>;
  /** The receipt link activity (Stripe orders). */
  receipt: Stubs;
  /** The invoice and its email. */
  invoiceStep: InvoiceStepOptions;
}

/** The steps of this run; called once, at the workflow's start. */
export function orderSteps(input: { paperworkTaskQueue?: string }): OrderSteps {
  if (!leanOrderPath()) {
    return { lean: false, databaseStep: (call) => call(database), receipt, invoiceStep: defaultInvoiceStepOptions };
  }
  const paperwork = paperworkActivities(paperworkTaskQueueOf(input));
  return {
    lean: true,
    databaseStep: (call) => localFirst(() => call(localDatabase), () => call(database)),
    receipt: paperwork.receipt,
    invoiceStep: paperwork.invoiceStep,
  };
}
