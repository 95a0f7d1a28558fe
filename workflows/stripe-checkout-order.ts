// A hosted checkout top-up order (Stripe Checkout, Airwallex, Alipay or WeChat Pay; the provider is the
// activities' concern): the thin Temporal shell around workflows/stripe-checkout-state.ts.
// It registers the handlers, turns signals, updates and timers into the machine's events, and runs the
// machine's commands as activities. Deterministic orchestration only.
import { ParentClosePolicy, condition, isCancellation, log, setHandler, startChild } from '@temporalio/workflow';
import { failure } from '../domain/failures.ts';
import {
  checkoutChoiceOf,
  paymentEventSignal,
  resolveReviewUpdate,
  type PaymentEvent,
  type StripeCheckoutOrderInput,
  type TopUpOrderResult,
} from '../domain/orders.ts';
import { paymentExceptionWorkflowId, type PaymentExceptionInput } from '../domain/payment-exceptions.ts';
import { accountIdKey, needsReviewKey, paymentMethodKey } from '../domain/search-attributes.ts';
import { provider } from './activity-options.ts';
import { issueInvoiceAndEmail, issueWholePaperwork } from './invoice-step.ts';
import { isTerminal, rowWritingCommands } from './order-machine.ts';
import { OrderRun, recordOrReport, reportFailure, setSharedOrderHandlers, writeOrReport, type OrderMachine } from './order-run.ts';
import { checkoutOrderSteps, type CheckoutOrderSteps } from './order-steps.ts';
import { paymentExceptionWorkflow } from './payment-exception.ts';
import {
  acceptsExternalEvents,
  canCancelStripe,
  canResumeStripe,
  decideStripeCheckout,
  startStripeCheckout,
  stripeWakeAtMilliseconds,
  type StripeCheckoutCommand,
  type StripeCheckoutEvent,
  type StripeCheckoutState,
} from './stripe-checkout-state.ts';

type StripeRun = OrderRun<StripeCheckoutState, StripeCheckoutEvent, StripeCheckoutCommand>;

/** Runs one Stripe Checkout order from its creation to its credit, failure, cancellation or expiry. */
export async function stripeCheckoutOrder(input: StripeCheckoutOrderInput): Promise<TopUpOrderResult> {
  // First: where this run's steps go is decided once, before any command (workflows/order-steps.ts).
  const steps = checkoutOrderSteps(input);
  const start = startStripeCheckout(input);
  const machine: OrderMachine<StripeCheckoutState, StripeCheckoutEvent, StripeCheckoutCommand> = {
    decide: decideStripeCheckout,
    acceptsExternalEvents,
    wakeAtMilliseconds: stripeWakeAtMilliseconds,
    writesRow: (command) => rowWritingCommands.includes(command.kind),
    run: (command, state) => runCommand(input, steps, command, state),
  };
  const run: StripeRun = new OrderRun(start.state, machine);
  setStripeHandlers(run, input);
  return run.runOrder(start);
}

function setStripeHandlers(run: StripeRun, input: StripeCheckoutOrderInput): void {
  setSharedOrderHandlers(run, {
    requestHash: input.requestHash,
    isReady: (state) => state.order.checkoutUrl !== null,
    openFailure: (state) => (state.checkoutFailure === null ? null : failure('provider_rejected', state.checkoutFailure)),
    canCancel: canCancelStripe,
    canResume: canResumeStripe,
    cancelEvent: () => ({ type: 'cancel_requested' }),
  });
  setHandler(paymentEventSignal, (event: PaymentEvent) => run.deliver({ type: 'payment_event', event, nowMilliseconds: Date.now() }));
  setHandler(
    resolveReviewUpdate,
    async (decision) => {
      run.deliver({ type: 'review_resolved', decision, nowMilliseconds: Date.now() });
      await condition(() => isTerminal(run.state.order.status) && run.isSaved());
      return run.state.order;
    },
    {
      validator: (decision) => {
        const preview = run.preview();
        const accepted = preview.reviewDecision;
        if (accepted === null) {
          if (preview.phase === 'held_for_review') return;
          throw failure('order_not_in_review', `The order is ${preview.order.status} and not held for review.`);
        }
        // The same decision again is a repeat: it waits for the first and returns the same order.
        if (accepted.decision === decision.decision && accepted.reason === decision.reason) return;
        throw failure('order_already_reviewed', 'The payment was already resolved otherwise.');
      },
    },
  );
}

/** Carries out one command of the machine; returns what it reports back. */
async function runCommand(
  input: StripeCheckoutOrderInput,
  steps: CheckoutOrderSteps,
  command: StripeCheckoutCommand,
  state: StripeCheckoutState,
): Promise<StripeCheckoutEvent | null> {
  const order = state.order;
  switch (command.kind) {
    case 'record':
      return recordOrReport<StripeCheckoutEvent>(
        async () => {
          const recorded = await steps.databaseStep((activities) => activities.recordNewOrder(input));
          return { type: 'recorded', refusal: recorded.ok ? null : recorded.refusal };
        },
        (refusal) => ({ type: 'recorded', refusal }),
      );
    case 'open_checkout':
      return reportFailure<StripeCheckoutEvent>(
        async () => ({ type: 'checkout_opened', ...(await steps.openCheckout((activities) => activities.openCheckout({ input, order }))) }),
        (reason) => ({ type: 'checkout_failed', reason }),
      );
    case 'save':
      return writeOrReport<StripeCheckoutEvent>(() => steps.databaseStep((activities) => activities.saveOrder(order)), (reason) => ({ type: 'write_failed', reason }));
    case 'expire_checkout':
      return { type: 'checkout_closed', result: await provider.expireCheckoutSession(order), nowMilliseconds: Date.now() };
    case 'record_action':
      return writeOrReport<StripeCheckoutEvent>(
        () => steps.databaseStep((activities) => activities.recordOrderAction({ orderId: order.orderId, ...command.action })),
        (reason) => ({ type: 'write_failed', reason }),
      );
    case 'credit':
      return reportFailure<StripeCheckoutEvent>(
        async () => ({ type: 'credited', command, ...(await steps.databaseStep((activities) => activities.postOrderCredit(command))) }),
        (reason) => ({ type: 'credit_failed', reason }),
      );
    case 'paperwork':
      return paperwork(steps, state, command.balanceAfter);
    case 'record_payment_exception':
      await openPaymentException(input, state, command.event, command.reason);
      return null;
  }
}

/** The receipt link, then the invoice and its email; none of it can undo or hold up the credit. */
async function paperwork(steps: CheckoutOrderSteps, state: StripeCheckoutState, balanceAfter: string): Promise<StripeCheckoutEvent> {
  const wholePaperwork = steps.wholePaperwork;
  if (wholePaperwork !== null) {
    // The receipt link, the invoice and its email in one activity.
    const { receiptUrl, invoice } = await issueWholePaperwork(state.order, () => wholePaperwork(state.order, balanceAfter));
    return { type: 'paperwork_done', receiptUrl, invoiceNumber: invoice.outcome === 'not_issued' ? null : invoice.invoiceNumber };
  }
  const receiptAndInvoice = steps.receiptAndInvoice;
  if (receiptAndInvoice !== null) {
    // The receipt link and the invoice in one activity, then the email.
    let receiptUrl: string | null = null;
    const invoice = await issueInvoiceAndEmail(state.order, balanceAfter, steps.invoiceStep, async () => {
      const result = await receiptAndInvoice(state.order);
      receiptUrl = result.receiptUrl;
      return result;
    });
    return { type: 'paperwork_done', receiptUrl, invoiceNumber: invoice.outcome === 'not_issued' ? null : invoice.invoiceNumber };
  }
  const receiptUrl = await steps.receipt.recordReceipt(state.order).catch((error: unknown) => {
    if (isCancellation(error)) throw error;
    log.warn('no receipt link for the order', { orderId: state.order.orderId, error: String(error) });
    return null;
  });
  const invoice = await issueInvoiceAndEmail({ ...state.order, receiptUrl }, balanceAfter, steps.invoiceStep);
  return { type: 'paperwork_done', receiptUrl, invoiceNumber: invoice.outcome === 'not_issued' ? null : invoice.invoiceNumber };
}

/** Starts the payment exception's own workflow, which records it and waits for ops; it outlives the order. */
async function openPaymentException(input: StripeCheckoutOrderInput, state: StripeCheckoutState, event: PaymentEvent, reason: string) {
  const exception: PaymentExceptionInput = {
    eventId: event.eventId,
    orderId: input.orderId,
    accountId: input.accountId,
    // The provider that took the payment, so a refund goes back through it (a value, not control flow).
    provider: checkoutChoiceOf(input).provider,
    providerPaymentId: event.providerPaymentId,
    amountMinorUnits: event.amountTotalMinorUnits,
    currency: event.currency,
    orderStatus: state.order.status,
    reason,
  };
  await startChild(paymentExceptionWorkflow, {
    workflowId: paymentExceptionWorkflowId(event.eventId),
    args: [exception],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: [
      { key: accountIdKey, value: input.accountId },
      { key: paymentMethodKey, value: 'stripe' },
      { key: needsReviewKey, value: true },
    ],
  }).catch((error: unknown) => {
    // The webhook may have started it first (the same event, redelivered after the order closed).
    log.info('payment exception already open', { orderId: input.orderId, eventId: event.eventId, error: String(error) });
  });
}
