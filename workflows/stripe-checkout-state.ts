// The rules of a Stripe Checkout order, as a pure state machine: an event and the current state in, the
// next state and the commands to carry out out. No Temporal import, no clock (time arrives in events),
// no I/O; workflows/stripe-checkout-order.ts is the thin shell that feeds it and runs its commands.
//
// The order waits for its payment, its cancellation or its expiry, whichever comes first; a payment
// always wins over a cancellation or an expiry that the provider had not yet applied. A payment that
// does not match the locked quote, or that the ledger refuses, is held for ops (needs_review).
import { microsToMinorUnits } from '../domain/money.ts';
import {
  type CompletedCheckout,
  type ExpireCheckoutResult,
  type OrderRefusal,
  type PaymentEvent,
  type ResolveReviewRequest,
  type StripeCheckoutOrderInput,
  isPaymentEvent,
  termsInMicros,
} from '../domain/orders.ts';
import {
  credited,
  flagWriteFailure,
  holdForReview,
  isTerminal,
  newOrderSnapshot,
  succeededOrder,
  unchanged,
  withOrder,
  type CreditCommand,
  type OrderCommand,
  type OrderMachineState,
  type TimerFired,
  type Transition,
} from './order-machine.ts';

/** A delayed payment method (bank debit) confirms within days; past this, a person looks at the order. */
export const processingDeadlineMilliseconds = 14 * 24 * 60 * 60 * 1000;

export type StripeCheckoutPhase =
  | 'recording'
  | 'opening_checkout'
  | 'awaiting_payment'
  | 'closing_checkout'
  | 'awaiting_outcome'
  | 'held_for_review'
  | 'crediting'
  | 'paperwork'
  | 'closed';

export interface StripeCheckoutState extends OrderMachineState {
  phase: StripeCheckoutPhase;
  /** Ids of the provider events that changed the order: a redelivery of one changes nothing. */
  appliedEventIds: string[];
  cancelRequested: boolean;
  /** What closing the checkout is for: the deadline passed, or the customer cancelled. */
  closingFor: 'expired' | 'cancelled' | null;
  processingSinceMilliseconds: number | null;
  reviewDecision: ResolveReviewRequest | null;
  /** Why the checkout could not be opened (the provider refused): the order failed. */
  checkoutFailure: string | null;
}

export type StripeCheckoutEvent =
  | { type: 'recorded'; refusal: OrderRefusal | null }
  | { type: 'checkout_opened'; sessionId: string; url: string }
  | { type: 'checkout_failed'; reason: string }
  | { type: 'payment_event'; event: PaymentEvent; nowMilliseconds: number }
  | { type: 'cancel_requested' }
  | { type: 'review_resolved'; decision: ResolveReviewRequest; nowMilliseconds: number }
  | { type: 'checkout_closed'; result: ExpireCheckoutResult; nowMilliseconds: number }
  | { type: 'credited'; command: CreditCommand; creditedAt: string; balanceAfter: string }
  | { type: 'credit_failed'; reason: string }
  | { type: 'paperwork_done'; receiptUrl: string | null; invoiceNumber: string | null }
  /** A save or an ops action record failed through its retries, or for good. */
  | { type: 'write_failed'; reason: string }
  | TimerFired;

export type StripeCheckoutCommand =
  | OrderCommand
  | { kind: 'record' }
  | { kind: 'record_payment_exception'; event: PaymentEvent; reason: string }
  | { kind: 'open_checkout' }
  | { kind: 'expire_checkout' };

type StripeTransition = Transition<StripeCheckoutState, StripeCheckoutCommand>;

/** The order before anything happened, and the command that starts it: record it. */
export function startStripeCheckout(input: StripeCheckoutOrderInput): StripeTransition {
  const state: StripeCheckoutState = {
    order: newOrderSnapshot(input),
    refusal: null,
    recorded: false,
    finished: false,
    phase: 'recording',
    appliedEventIds: [],
    cancelRequested: false,
    closingFor: null,
    processingSinceMilliseconds: null,
    reviewDecision: null,
    checkoutFailure: null,
  };
  return { state, commands: [{ kind: 'record' }] };
}

/** Whether the machine is waiting for the world (a provider event, the customer, ops or a timer). */
export function isWaiting(state: StripeCheckoutState): boolean {
  return state.phase === 'awaiting_payment' || state.phase === 'awaiting_outcome' || state.phase === 'held_for_review';
}

/** When the machine wants a timer_fired event, or null for never. */
export function stripeWakeAtMilliseconds(state: StripeCheckoutState): number | null {
  if (state.phase === 'awaiting_payment') return Date.parse(state.order.expiresAt);
  if (state.phase === 'awaiting_outcome') return state.processingSinceMilliseconds! + processingDeadlineMilliseconds;
  return null;
}

/** The one transition function: every change to a Stripe order's state goes through here. */
export function decideStripeCheckout(state: StripeCheckoutState, event: StripeCheckoutEvent): StripeTransition {
  switch (event.type) {
    case 'recorded':
      if (event.refusal !== null) return { state: { ...state, refusal: event.refusal, finished: true, phase: 'closed' }, commands: [] };
      return { state: { ...state, recorded: true, phase: 'opening_checkout' }, commands: [{ kind: 'open_checkout' }] };
    case 'checkout_opened': {
      const opened = { ...withOrder(state, { checkoutSessionId: event.sessionId, checkoutUrl: event.url }), phase: 'awaiting_payment' as const };
      return opened.cancelRequested ? closeCheckout(opened, 'cancelled') : unchanged(opened);
    }
    case 'checkout_failed':
      return close({ ...state, checkoutFailure: event.reason }, 'failed', `The checkout could not be opened: ${event.reason}`);
    case 'payment_event':
      return applyPaymentEvent(state, event.event, event.nowMilliseconds);
    case 'cancel_requested':
      if (state.phase !== 'awaiting_payment') return unchanged({ ...state, cancelRequested: true });
      return closeCheckout({ ...state, cancelRequested: true }, 'cancelled');
    case 'timer_fired':
      return timerFired(state, event.nowMilliseconds);
    case 'checkout_closed':
      return checkoutClosed(state, event.result, event.nowMilliseconds);
    case 'review_resolved':
      return reviewResolved(state, event.decision, event.nowMilliseconds);
    case 'credited':
      return {
        state: { ...credited(state, event.command, event.creditedAt), phase: 'paperwork' },
        commands: [{ kind: 'paperwork', balanceAfter: event.balanceAfter }],
      };
    case 'credit_failed':
      return { state: { ...holdForReview(state, `the credit failed: ${event.reason}`), phase: 'held_for_review' }, commands: [{ kind: 'save' }] };
    case 'paperwork_done':
      return unchanged({ ...withOrder(state, { receiptUrl: event.receiptUrl, invoiceNumber: event.invoiceNumber }), phase: 'closed', finished: true });
    case 'write_failed':
      // No save is asked for: it is the write that fails. The workflow's state and search attributes
      // (RefillNeedsReview=true) tell ops what the row could not.
      return unchanged(flagWriteFailure(state, event.reason));
  }
}

/** An event the machine is not waiting for (it arrived while a command ran) waits in the workflow's inbox. */
export function acceptsExternalEvents(state: StripeCheckoutState): boolean {
  return isWaiting(state) || state.finished;
}

function close(state: StripeCheckoutState, status: 'failed' | 'expired' | 'cancelled', failureReason: string | null): StripeTransition {
  const order = withOrder(state, { status, ...(failureReason === null ? {} : { failureReason }) });
  return { state: { ...order, phase: 'closed', finished: true }, commands: [{ kind: 'save' }] };
}

function closeCheckout(state: StripeCheckoutState, closingFor: 'expired' | 'cancelled'): StripeTransition {
  return { state: { ...state, closingFor, phase: 'closing_checkout' }, commands: [{ kind: 'expire_checkout' }] };
}

function timerFired(state: StripeCheckoutState, nowMilliseconds: number): StripeTransition {
  if (state.phase === 'awaiting_payment' && nowMilliseconds >= Date.parse(state.order.expiresAt)) {
    return closeCheckout(state, state.cancelRequested ? 'cancelled' : 'expired');
  }
  if (state.phase === 'awaiting_outcome' && nowMilliseconds >= stripeWakeAtMilliseconds(state)!) {
    const held = holdForReview(state, 'the delayed payment was not confirmed in time');
    return { state: { ...held, phase: 'held_for_review' }, commands: [{ kind: 'save' }] };
  }
  return unchanged(state);
}

function checkoutClosed(state: StripeCheckoutState, result: ExpireCheckoutResult, nowMilliseconds: number): StripeTransition {
  if (result.outcome === 'expired') return close(state, state.closingFor ?? 'expired', null);
  if (result.checkout.paymentStatus === 'unpaid') return awaitOutcome(state, nowMilliseconds);
  return paymentReceived(state, result.checkout, nowMilliseconds);
}

function awaitOutcome(state: StripeCheckoutState, nowMilliseconds: number): StripeTransition {
  const processing = withOrder(state, { status: 'processing' });
  return { state: { ...processing, phase: 'awaiting_outcome', processingSinceMilliseconds: nowMilliseconds }, commands: [{ kind: 'save' }] };
}

/** Applies one provider event; one for another checkout session, or already applied, changes nothing. */
function applyPaymentEvent(state: StripeCheckoutState, event: PaymentEvent, nowMilliseconds: number): StripeTransition {
  if (state.appliedEventIds.includes(event.eventId)) return unchanged(state);
  if (state.order.checkoutSessionId !== null && event.checkoutSessionId !== state.order.checkoutSessionId) return unchanged(state);
  if (state.phase === 'closed') return paymentAfterClose(state, event);
  const transition = paymentEventTransition(state, event, nowMilliseconds);
  if (transition.state === state) return transition;
  return { ...transition, state: { ...transition.state, appliedEventIds: [...state.appliedEventIds, event.eventId] } };
}

function paymentEventTransition(state: StripeCheckoutState, event: PaymentEvent, nowMilliseconds: number): StripeTransition {
  const checkout: CompletedCheckout = {
    paymentStatus: event.paymentStatus,
    amountTotalMinorUnits: event.amountTotalMinorUnits,
    currency: event.currency,
    providerPaymentId: event.providerPaymentId,
  };
  const paidAtMilliseconds = event.createdSeconds * 1000;
  const pending = state.phase === 'awaiting_payment';
  const waitingForPayment = pending || state.phase === 'awaiting_outcome';
  switch (event.type) {
    case 'checkout.session.completed':
      if (!pending) return unchanged(state);
      if (event.paymentStatus === 'unpaid') return awaitOutcome(state, nowMilliseconds);
      return paymentReceived(state, checkout, paidAtMilliseconds);
    case 'checkout.session.async_payment_succeeded':
      if (!waitingForPayment) return unchanged(state);
      return paymentReceived(state, { ...checkout, paymentStatus: 'paid' }, paidAtMilliseconds);
    case 'checkout.session.async_payment_failed':
      if (!waitingForPayment) return unchanged(state);
      return close(state, 'failed', 'The payment failed.');
    case 'checkout.session.expired':
      if (!pending) return unchanged(state);
      return close(state, 'expired', null);
  }
}

/**
 * A payment that reaches the order after it closed without crediting it (or a second payment of a
 * credited order) is never lost: it becomes a payment exception for ops, a record of its own.
 */
function paymentAfterClose(state: StripeCheckoutState, event: PaymentEvent): StripeTransition {
  if (!isPaymentEvent(event)) return unchanged(state);
  const order = state.order;
  if (order.status === 'succeeded' && event.providerPaymentId !== null && event.providerPaymentId === order.providerPaymentId) {
    return unchanged(state);
  }
  const reason = `payment event ${event.eventId} arrived after the order was ${order.status}`;
  return {
    state: { ...state, appliedEventIds: [...state.appliedEventIds, event.eventId] },
    commands: [{ kind: 'record_payment_exception', event, reason }],
  };
}

/** Why a payment does not match the locked quote, or null when it does (amount and currency). */
export function paymentMismatch(state: StripeCheckoutState, checkout: CompletedCheckout): string | null {
  const terms = state.order.terms;
  const expectedMinorUnits = microsToMinorUnits(termsInMicros(terms).payAmountMicros, terms.currency);
  const expectedCurrency = terms.currency.toLowerCase();
  if (checkout.amountTotalMinorUnits === expectedMinorUnits.toString() && checkout.currency === expectedCurrency) return null;
  return (
    `paid ${checkout.amountTotalMinorUnits ?? '?'} ${checkout.currency ?? '?'} (minor units), ` +
    `expected ${expectedMinorUnits} ${expectedCurrency}`
  );
}

/** Checks the payment against the locked quote, then credits it, or holds it for review. */
function paymentReceived(state: StripeCheckoutState, checkout: CompletedCheckout, paidAtMilliseconds: number): StripeTransition {
  const paid = withOrder(state, { paidAt: new Date(paidAtMilliseconds).toISOString(), providerPaymentId: checkout.providerPaymentId });
  const mismatch = paymentMismatch(paid, checkout);
  if (mismatch === null) return credit(paid);
  const held = withOrder(paid, { status: 'processing', needsReview: true, reviewReason: mismatch });
  return { state: { ...held, phase: 'held_for_review' }, commands: [{ kind: 'save' }] };
}

function credit(state: StripeCheckoutState, commands: StripeCheckoutCommand[] = []): StripeTransition {
  const command: CreditCommand = { kind: 'credit', succeeded: succeededOrder(state.order), correction: null };
  return { state: { ...state, phase: 'crediting' }, commands: [...commands, command] };
}

/** Ops' decision on a held payment: credit the locked quote, or fail the order. Recorded first. */
function reviewResolved(state: StripeCheckoutState, decision: ResolveReviewRequest, nowMilliseconds: number): StripeTransition {
  if (state.phase !== 'held_for_review' || state.reviewDecision !== null) return unchanged(state);
  const record: StripeCheckoutCommand = {
    kind: 'record_action',
    action: {
      action: 'resolve_review',
      actor: decision.actor,
      reason: decision.reason,
      payload: { decision: decision.decision },
      occurredAt: new Date(nowMilliseconds).toISOString(),
    },
  };
  const reviewReason = `${state.order.reviewReason ?? 'held'}; resolved by ${decision.actor}: ${decision.decision} (${decision.reason})`;
  const resolved = { ...withOrder(state, { needsReview: false, reviewReason }), reviewDecision: decision };
  if (decision.decision === 'credit') return credit(resolved, [record]);
  const failed = close(resolved, 'failed', `The payment was refused on review: ${decision.reason}`);
  return { ...failed, commands: [record, ...failed.commands] };
}

/** Whether the customer may still cancel: only a pending order whose cancel has not been asked already. */
export function canCancelStripe(state: StripeCheckoutState): boolean {
  return state.order.status === 'pending' && state.refusal === null && !isTerminal(state.order.status);
}

/** Whether the customer may still pay: pending, not cancelled, before the deadline. */
export function canResumeStripe(state: StripeCheckoutState, nowMilliseconds: number): boolean {
  return state.order.status === 'pending' && !state.cancelRequested && nowMilliseconds < Date.parse(state.order.expiresAt);
}
