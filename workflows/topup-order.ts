// One top-up order, from quote to credit. Deterministic orchestration only: every side effect is an
// activity. The order waits for its payment, its cancellation or its expiry, whichever comes first;
// a payment always wins over a cancellation or an expiry that the provider had not yet applied.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.ts';
import type { CompletedCheckout } from '../activities/payments/provider.ts';
import { microsFromDecimal, microsToMinorUnits } from '../domain/money.ts';
import {
  cancelOrderUpdate,
  openCheckoutUpdate,
  orderFailureTypes,
  orderStateQuery,
  paymentEventSignal,
  resolveReviewUpdate,
  resumeOrderUpdate,
  terminalOrderStatuses,
  type ResolveReviewRequest,
  type OrderSnapshot,
  type PaymentEvent,
  type TopUpOrderInput,
  type TopUpOrderResult,
} from '../domain/orders.ts';
import { issueInvoiceAndEmail } from './invoice-step.ts';
import { databaseActivities, newOrderSnapshot, orderRecord, requireSameRequest } from './order-record.ts';

/** Provider calls: the Stripe client retries network failures itself; these retries cover outages. */
const provider = proxyActivities<OrderActivities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 30,
    nonRetryableErrorTypes: ['provider_rejected'],
  },
});

/** The receipt link is a convenience: a few quick tries, and the order goes on without it. */
const receipt = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

/** A delayed payment method (bank debit) confirms within days; past this, a person looks at the order. */
const processingDeadlineMilliseconds = 14 * 24 * 60 * 60 * 1000;
/** Payment events an order applies at most; more can only be a fault upstream. */
const maximumPaymentEvents = 50;

export async function topUpOrderWorkflow(input: TopUpOrderInput): Promise<TopUpOrderResult> {
  const order: OrderSnapshot = newOrderSnapshot(input);
  const record = orderRecord(order);
  let recorded = false;
  let rejection: { code: string; message: string } | null = null;
  let cancelRequested = false;
  const pendingEvents: PaymentEvent[] = [];
  const seenEventIds = new Set<string>();

  const isClosed = () => terminalOrderStatuses.includes(order.status);

  setHandler(orderStateQuery, () => (recorded ? order : null));

  setHandler(
    openCheckoutUpdate,
    async () => {
      await condition(() => rejection !== null || (order.checkoutUrl !== null && record.isSaved()));
      if (rejection !== null) throw ApplicationFailure.nonRetryable(rejection.message, rejection.code);
      return order;
    },
    { validator: ({ requestHash }) => requireSameRequest(input.requestHash, requestHash) },
  );

  setHandler(
    cancelOrderUpdate,
    async () => {
      cancelRequested = true;
      await condition(() => order.status !== 'pending' && record.isSaved());
      if (order.status !== 'cancelled') {
        throw ApplicationFailure.nonRetryable(`The order is ${order.status}, not cancelled.`, orderFailureTypes.notCancellable);
      }
      return order;
    },
    {
      validator: () => {
        if (order.status !== 'pending' || rejection !== null) {
          throw ApplicationFailure.nonRetryable(`The order is ${order.status}.`, orderFailureTypes.notCancellable);
        }
      },
    },
  );

  setHandler(
    resumeOrderUpdate,
    async () => {
      await condition(() => order.checkoutUrl !== null || order.status !== 'pending');
      if (order.status !== 'pending' || cancelRequested) {
        throw ApplicationFailure.nonRetryable(`The order is ${order.status}.`, orderFailureTypes.notResumable);
      }
      return order;
    },
    {
      validator: () => {
        if (order.status !== 'pending' || cancelRequested || Date.now() >= Date.parse(order.expiresAt)) {
          throw ApplicationFailure.nonRetryable('The order can no longer be paid.', orderFailureTypes.notResumable);
        }
      },
    },
  );

  setHandler(paymentEventSignal, (event) => {
    if (seenEventIds.has(event.eventId)) return;
    if (seenEventIds.size >= maximumPaymentEvents) {
      log.warn('payment event dropped: too many events', { orderId: order.orderId, eventId: event.eventId });
      return;
    }
    seenEventIds.add(event.eventId);
    pendingEvents.push(event);
  });

  /** Ops' decision on a payment held for review; the first one accepted is carried out. */
  let reviewDecision: ResolveReviewRequest | null = null;
  const isHeldForReview = () => order.status === 'processing' && order.needsReview;
  setHandler(
    resolveReviewUpdate,
    async (request) => {
      reviewDecision ??= request;
      await condition(() => isClosed() && record.isSaved());
      return order;
    },
    {
      validator: (request) => {
        const accepted: ResolveReviewRequest | null = reviewDecision;
        if (accepted === null) {
          if (isHeldForReview()) return;
          throw ApplicationFailure.nonRetryable(`The order is ${order.status} and not held for review.`, orderFailureTypes.notInReview);
        }
        // The same decision again is a repeat: it waits for the first and returns the same order.
        if (accepted.decision === request.decision && accepted.reason === request.reason) return;
        throw ApplicationFailure.nonRetryable('The payment was already resolved otherwise.', orderFailureTypes.alreadyReviewed);
      },
    },
  );

  const { save, changeStatus } = record;

  /** Checks the payment against the locked quote, then credits it, or holds it for review. */
  async function paymentReceived(checkout: CompletedCheckout, paidAtMilliseconds: number): Promise<void> {
    order.paidAt = new Date(paidAtMilliseconds).toISOString();
    order.providerPaymentId = checkout.providerPaymentId;
    const expectedMinorUnits = microsToMinorUnits(microsFromDecimal(order.terms.payAmount), order.terms.currency);
    const expectedCurrency = order.terms.currency.toLowerCase();
    if (checkout.amountTotalMinorUnits !== expectedMinorUnits.toString() || checkout.currency !== expectedCurrency) {
      order.needsReview = true;
      order.reviewReason =
        `paid ${checkout.amountTotalMinorUnits ?? '?'} ${checkout.currency ?? '?'} (minor units), ` +
        `expected ${expectedMinorUnits} ${expectedCurrency}`;
      log.error('payment does not match the quote', { orderId: order.orderId, reason: order.reviewReason });
      await changeStatus('processing');
      return;
    }
    await creditPaidOrder();
  }

  /** Credits the locked quote once, marks the order succeeded, then issues its invoice. */
  async function creditPaidOrder(): Promise<void> {
    const credit = await databaseActivities.creditOrder({ ...order });
    order.creditedAt = credit.creditedAt;
    order.receiptUrl = await receipt.fetchReceiptUrl({ ...order }).catch((error: unknown) => {
      if (isCancellation(error)) throw error;
      log.warn('no receipt link for the order', { orderId: order.orderId, error: String(error) });
      return null;
    });
    await changeStatus('succeeded');
    const invoice = await issueInvoiceAndEmail({ ...order }, credit.balanceAfter);
    if (invoice.outcome !== 'not_issued') order.invoiceNumber = invoice.invoiceNumber;
  }

  /** Applies one provider event to the order's state. */
  async function applyEvent(event: PaymentEvent): Promise<void> {
    if (order.checkoutSessionId !== null && event.checkoutSessionId !== order.checkoutSessionId) {
      log.warn('event for another checkout session ignored', { orderId: order.orderId, eventId: event.eventId });
      return;
    }
    const checkout: CompletedCheckout = {
      paymentStatus: event.paymentStatus,
      amountTotalMinorUnits: event.amountTotalMinorUnits,
      currency: event.currency,
      providerPaymentId: event.providerPaymentId,
    };
    const paidAtMilliseconds = event.createdSeconds * 1000;
    const waitingForPayment = order.status === 'pending' || (order.status === 'processing' && !order.needsReview);
    switch (event.type) {
      case 'checkout.session.completed':
        if (order.status !== 'pending') return;
        if (event.paymentStatus === 'unpaid') return changeStatus('processing');
        return paymentReceived(checkout, paidAtMilliseconds);
      case 'checkout.session.async_payment_succeeded':
        if (!waitingForPayment) return;
        return paymentReceived({ ...checkout, paymentStatus: 'paid' }, paidAtMilliseconds);
      case 'checkout.session.async_payment_failed':
        if (!waitingForPayment) return;
        return changeStatus('failed', 'The payment failed.');
      case 'checkout.session.expired':
        if (order.status !== 'pending') return;
        return changeStatus('expired');
    }
  }

  async function applyPendingEvents(): Promise<void> {
    while (pendingEvents.length > 0 && !isClosed()) await applyEvent(pendingEvents.shift()!);
  }

  /** The deadline passed or the customer cancelled: close the checkout first; a completed payment wins. */
  async function closeCheckout(status: 'expired' | 'cancelled'): Promise<void> {
    const result = await provider.expireCheckoutSession({ ...order });
    if (result.outcome === 'expired') return changeStatus(status);
    if (result.checkout.paymentStatus === 'unpaid') return changeStatus('processing');
    return paymentReceived(result.checkout, Date.now());
  }

  const recordedResult = await databaseActivities.recordNewOrder(input);
  if (!recordedResult.ok) {
    rejection = recordedResult.refusal;
    await condition(allHandlersFinished);
    return { outcome: 'rejected', code: rejection.code, message: rejection.message };
  }
  recorded = true;
  const session = await provider.createCheckoutSession(input);
  order.checkoutSessionId = session.sessionId;
  order.checkoutUrl = session.url;
  await save();

  const expiresAtMilliseconds = Date.parse(order.expiresAt);
  while (order.status === 'pending') {
    const remaining = expiresAtMilliseconds - Date.now();
    if (remaining > 0) await condition(() => pendingEvents.length > 0 || cancelRequested, remaining);
    if (pendingEvents.length > 0) await applyPendingEvents();
    else await closeCheckout(cancelRequested ? 'cancelled' : 'expired');
  }

  // A delayed payment method: wait for its outcome, then for a person if it never comes.
  const processingSince = Date.now();
  while (order.status === 'processing' && !order.needsReview) {
    const remaining = processingSince + processingDeadlineMilliseconds - Date.now();
    if (remaining <= 0 || !(await condition(() => pendingEvents.length > 0, remaining))) {
      order.needsReview = true;
      order.reviewReason = 'the delayed payment was not confirmed in time';
      await save();
      break;
    }
    await applyPendingEvents();
  }

  // A payment held for review waits for ops: credit the locked quote, or fail the order (and refund it
  // at the provider, which is outside this system).
  if (isHeldForReview()) {
    await condition(() => reviewDecision !== null);
    const decision = reviewDecision!;
    await databaseActivities.recordOrderAction({
      orderId: order.orderId,
      action: 'resolve_review',
      actor: decision.actor,
      reason: decision.reason,
      payload: { decision: decision.decision },
      occurredAt: new Date().toISOString(),
    });
    order.needsReview = false;
    order.reviewReason = `${order.reviewReason ?? 'held'}; resolved by ${decision.actor}: ${decision.decision} (${decision.reason})`;
    if (decision.decision === 'credit') await creditPaidOrder();
    else await changeStatus('failed', `The payment was refused on review: ${decision.reason}`);
  }

  await condition(allHandlersFinished);
  return { outcome: 'closed', status: order.status };
}
