// Where an order workflow's steps run, chosen once per run (behind leanOrderPatch, workflows/order-run.ts):
// runs started before the patch run their database steps as activities and their paperwork on the order's
// task queue, as their histories recorded; new runs run the database steps as local activities (falling
// back to the server once the local budget is spent) and the paperwork on the paperwork task queue.
// Hosted checkout orders since leanCheckoutPatch also open their checkout as a local activity and issue
// the receipt link with the invoice, and since wholePaperworkPatch email it in the same activity
// (checkoutOrderSteps). Deterministic orchestration only.
import { patched, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.ts';
import type { PaperworkResult, ReceiptAndInvoiceResult } from '../activities/paperwork.ts';
import type { OrderSnapshot } from '../domain/orders.ts';
import { database, localDatabase, localProvider, paperworkActivities, provider, receipt } from './activity-options.ts';
import { defaultInvoiceStepOptions, paperworkEmailRetrySeconds, type InvoiceStepOptions } from './invoice-step.ts';
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
  return leanOrderSteps(paperworkActivities(paperworkTaskQueueOf(input)));
}

/** The steps of a run on the lean path (leanOrderPatch, or a later patch that implies it). */
function leanOrderSteps(paperwork: ReturnType<typeof paperworkActivities>): OrderSteps {
  return {
    lean: true,
    databaseStep: (call) => localFirst(() => call(localDatabase), () => call(database)),
    receipt: paperwork.receipt,
    invoiceStep: paperwork.invoiceStep,
  };
}

/**
 * The patch behind which a hosted checkout order (workflows/stripe-checkout-order.ts) opens its checkout
 * as a local activity (falling back to the server once the local budget is spent), in the workflow task
 * that records it, so creating an order is one workflow task with no activity task; and looks up its
 * receipt link and issues its invoice in one paperwork activity instead of two. Runs started before it
 * open the checkout through the server and run the two activities, as recorded.
 */
export const leanCheckoutPatch = 'local-checkout-receipt-with-invoice';

/**
 * The patch behind which a hosted checkout order runs its whole paperwork (the receipt link, the invoice
 * and its email) as one activity on the paperwork task queue, so the paperwork costs one activity task
 * and one workflow task instead of two of each. It implies leanCheckoutPatch, so a new run records one
 * patch marker. Runs started before it issue and email in two activities, as recorded.
 */
export const wholePaperworkPatch = 'checkout-paperwork-in-one-activity';

/** Runs the call that opens an order's checkout at the provider. */
export type CheckoutStep = <Result>(call: (activities: Stubs) => Promise<Result>) => Promise<Result>;

export interface CheckoutOrderSteps extends OrderSteps {
  openCheckout: CheckoutStep;
  /** The receipt link and the invoice in one activity; null on runs started before leanCheckoutPatch. */
  receiptAndInvoice: ((order: OrderSnapshot) => Promise<ReceiptAndInvoiceResult>) | null;
  /** The receipt link, the invoice and its email in one activity; null on runs started before wholePaperworkPatch. */
  wholePaperwork: ((order: OrderSnapshot, balanceAfter: string) => Promise<PaperworkResult>) | null;
}

/**
 * The steps of a hosted checkout order; called once, first thing (patched() answers false while an
 * older history replays, and the answer is kept for the run). leanCheckoutPatch implies the lean path,
 * so a new run records one patch marker, not two: patched() finds a marker by its id, so runs recorded
 * with leanOrderPatch alone still replay as they were.
 */
export function checkoutOrderSteps(input: { paperworkTaskQueue?: string }): CheckoutOrderSteps {
  // wholePaperworkPatch first: a new run records its marker alone; an older history has none and goes on.
  const whole = patched(wholePaperworkPatch);
  if (!whole && !patched(leanCheckoutPatch)) {
    return { ...orderSteps(input), openCheckout: (call) => call(provider), receiptAndInvoice: null, wholePaperwork: null };
  }
  const paperwork = paperworkActivities(paperworkTaskQueueOf(input));
  return {
    ...leanOrderSteps(paperwork),
    openCheckout: (call) => localFirst(() => call(localProvider), () => call(provider)),
    receiptAndInvoice: (order) => paperwork.receiptAndInvoice.recordReceiptAndIssueInvoice({ order }),
    wholePaperwork: whole
      ? (order, balanceAfter) =>
          paperwork.wholePaperwork.recordReceiptIssueAndEmailInvoice({ order, balanceAfter, emailRetrySeconds: paperworkEmailRetrySeconds })
      : null,
  };
}
