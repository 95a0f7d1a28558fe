// The top-up order, as the API, the workflow and the activities all see it: its types, its
// messages (signals, updates, queries) and its workflow id. Imports nothing with side effects,
// so workflow code can import it.
//
// Glossary
// - order: one customer's request to top up, from quote to credit; one Temporal workflow each.
// - quote: what an order will cost and credit, computed once and locked into the order.
// - amount: what the customer chose. discount: taken off the payment by a promo code.
// - pay amount: amount - discount, what the customer pays. bonus: extra credit.
// - credit: amount + bonus, what lands on the balance.
// - flow: one movement on a customer's balance (recharge, consume, refund), shown in account flows.
// - transfer: the ledger's record of a movement, two or more entries adding up to zero.
// - posting / entry: one line of a transfer, on one ledger account.
// - checkout session: the payment page at the provider (Stripe Checkout, an Airwallex payment intent
//   and its hosted page or QR code, or the sandbox standing in for either).
// - invoice: the numbered, immutable PDF of a credited order, emailed to the account (domain/invoices.ts).
// - bank transfer: an order paid by the customer's own transfer to the company's account, confirmed by
//   ops (see domain/bank-transfers.ts). transfer reference: the code the customer writes in its note.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { FailureType } from './failures.ts';
import { microsFromDecimal, type Currency } from './money.ts';

export const orderStatuses = ['pending', 'processing', 'succeeded', 'failed', 'expired', 'cancelled'] as const;
export type OrderStatus = (typeof orderStatuses)[number];

export const terminalOrderStatuses: readonly OrderStatus[] = ['succeeded', 'failed', 'expired', 'cancelled'];

/** auto_recharge: an automatic recharge of a saved card (workflows/auto-recharge.ts), never a client's choice. */
export type OrderPaymentMethod = 'stripe' | 'airwallex' | 'alipay' | 'wechat_pay' | 'bank_transfer' | 'auto_recharge';

/** The providers that open a checkout for an order: every method but bank transfers has one. */
export type CheckoutProviderName = 'stripe' | 'airwallex';

/**
 * How an order's checkout is opened, fixed from the pricing file when the order is created: which
 * provider, whether the payer is sent to its hosted page or shown a QR code, and Stripe Checkout's
 * payment_method_types (empty: the dashboard's choice). Absent in orders started before it existed,
 * which are Stripe redirects.
 */
export interface CheckoutChoice {
  provider: CheckoutProviderName;
  flow: 'redirect' | 'qr_code';
  paymentMethodTypes: string[];
}

/** The checkout of an order's input; the orders started before CheckoutChoice existed are Stripe's. */
export function checkoutChoiceOf(input: { checkout?: CheckoutChoice }): CheckoutChoice {
  return input.checkout ?? { provider: 'stripe', flow: 'redirect', paymentMethodTypes: [] };
}

/**
 * The workflow type each payment method's orders run. Names are part of running histories: a change to a
 * workflow's control flow goes behind patched(), and a rewrite gets a new name (see the README's
 * "Versioning"). topUpOrderWorkflow and bankTransferOrderWorkflow are the frozen types of the release
 * before these (workflows/legacy/).
 */
export const orderWorkflowTypes = {
  stripe: 'stripeCheckoutOrder',
  // Every hosted checkout runs the same workflow: its commands (open, expire, receipt) reach the order's
  // provider through the activities, and its control flow is the same for all of them.
  airwallex: 'stripeCheckoutOrder',
  alipay: 'stripeCheckoutOrder',
  wechat_pay: 'stripeCheckoutOrder',
  bank_transfer: 'bankTransferOrder',
  auto_recharge: 'autoRechargeWorkflow',
} as const satisfies Record<OrderPaymentMethod, string>;

/** Money fields are six-decimal strings ("20.000000"): bigint does not survive a Temporal payload. */
export interface OrderTerms {
  currency: Currency;
  paymentMethod: OrderPaymentMethod;
  packageId: string | null;
  amount: string;
  discount: string;
  payAmount: string;
  bonus: string;
  credit: string;
  promoCode: string | null;
}

/** The terms in micro-units, for the ledger and the database: converted once, where an activity starts. */
export interface OrderTermsMicros {
  currency: Currency;
  amountMicros: bigint;
  discountMicros: bigint;
  payAmountMicros: bigint;
  bonusMicros: bigint;
  creditMicros: bigint;
}

/** Converts the payload form of the terms (six-decimal strings) to micro-units. */
export function termsInMicros(terms: OrderTerms): OrderTermsMicros {
  return {
    currency: terms.currency,
    amountMicros: microsFromDecimal(terms.amount),
    discountMicros: microsFromDecimal(terms.discount),
    payAmountMicros: microsFromDecimal(terms.payAmount),
    bonusMicros: microsFromDecimal(terms.bonus),
    creditMicros: microsFromDecimal(terms.credit),
  };
}

/** Everything known about an order; the API shows it, the database keeps a copy, the workflow owns it. */
export interface OrderSnapshot {
  orderId: string;
  accountId: string;
  status: OrderStatus;
  terms: OrderTerms;
  checkoutSessionId: string | null;
  checkoutUrl: string | null;
  /** ISO timestamps. */
  expiresAt: string;
  createdAt: string;
  paidAt: string | null;
  creditedAt: string | null;
  receiptUrl: string | null;
  providerPaymentId: string | null;
  needsReview: boolean;
  reviewReason: string | null;
  failureReason: string | null;
  /** Bank transfer orders only: where to pay, with which reference, and who said they would pay. */
  bankTransfer?: BankTransferDetails | null;
  /** The order's invoice number (RF-2026-000123) once its invoice is issued; null or absent before. */
  invoiceNumber?: string | null;
  /** Bank transfers confirmed with a corrected credit: what the ledger credited instead of the quote, and why. */
  creditCorrection?: CreditCorrection | null;
}

/** A credit ops corrected when confirming a bank transfer; six-decimal strings, as recorded with its transfer. */
export interface CreditCorrection {
  amountReceived: string;
  quotedCredit: string;
  correctedCredit: string;
  reason: string;
}

/** What a bank transfer order tells the customer, and what the customer told us; fixed at creation. */
export interface BankTransferDetails {
  /** The company's receiving account, as configured when the order was created. */
  bankName: string;
  accountName: string;
  accountNumber: string;
  /** RF-7KQ4-M2XP: unique among all orders. */
  reference: string;
  remitterName: string;
  remitterBankName: string;
  remarks: string | null;
}

/** What every order workflow is started with: the creating request and its locked quote. */
export interface OrderRequest {
  orderId: string;
  accountId: string;
  customerEmail: string;
  /** SHA-256 (hex) of the creating request, so the same Idempotency-Key with another body is refused. */
  requestHash: string;
  idempotencyKey: string;
  terms: OrderTerms;
  /** ISO timestamp of the creating request. */
  createdAt: string;
  /**
   * The task queue of the order's receipt, invoice and email (TEMPORAL_PAPERWORK_TASK_QUEUE); absent in
   * orders started before it existed, which derive it from their own task queue.
   */
  paperworkTaskQueue?: string;
}

/** The paperwork task queue of a task queue, when TEMPORAL_PAPERWORK_TASK_QUEUE names none. */
export function defaultPaperworkTaskQueue(taskQueue: string): string {
  return `${taskQueue}-paperwork`;
}

/** The input of a Stripe Checkout order (stripeCheckoutOrder; also the frozen topUpOrderWorkflow's). */
export interface StripeCheckoutOrderInput extends OrderRequest {
  successUrl: string;
  cancelUrl: string;
  /** ISO timestamp: when the order and its checkout session expire if unpaid. */
  expiresAt: string;
  /** The provider and flow of the checkout; absent in orders started before Airwallex (Stripe redirects). */
  checkout?: CheckoutChoice;
  /**
   * `save_payment_method`: the checkout saves the card for off-session use, with the account's provider
   * customer, and the card is stored once the order is credited. Absent (false) in earlier orders.
   */
  saveCard?: { providerCustomerId: string };
}

export type TopUpOrderInput = StripeCheckoutOrderInput;

/** Why a new order was refused while it was being recorded (its promo code ran out meanwhile). */
export interface OrderRefusal {
  code: FailureType;
  message: string;
}

export type TopUpOrderResult =
  | { outcome: 'rejected'; code: string; message: string }
  | { outcome: 'closed'; status: OrderStatus };

/** What the provider reports of a checkout that was completed (paid, or waiting for a delayed method). */
export interface CompletedCheckout {
  paymentStatus: 'paid' | 'unpaid' | 'no_payment_required';
  /** Minor units as the provider reports them; a string because it is an integer of any size. */
  amountTotalMinorUnits: string | null;
  /** Lower case, as Stripe writes it. */
  currency: string | null;
  providerPaymentId: string | null;
}

export type ExpireCheckoutResult = { outcome: 'expired' } | { outcome: 'completed'; checkout: CompletedCheckout };

/** One payment event from the provider, reduced to what the workflow needs. */
export interface PaymentEvent {
  /** The provider's event id (evt_…): the workflow applies each id at most once. */
  eventId: string;
  type:
    | 'checkout.session.completed'
    | 'checkout.session.async_payment_succeeded'
    | 'checkout.session.async_payment_failed'
    | 'checkout.session.expired';
  checkoutSessionId: string;
  paymentStatus: 'paid' | 'unpaid' | 'no_payment_required';
  /** Minor units (cents) as the provider reports them; a string because it is an integer of any size. */
  amountTotalMinorUnits: string | null;
  /** Lower case, as Stripe writes it. */
  currency: string | null;
  providerPaymentId: string | null;
  /** Unix seconds of the event, for logs and ordering checks. */
  createdSeconds: number;
}

/** Whether an event reports money taken: a paid checkout, or a delayed payment that succeeded. */
export function isPaymentEvent(event: Pick<PaymentEvent, 'type' | 'paymentStatus'>): boolean {
  return (
    (event.type === 'checkout.session.completed' && event.paymentStatus === 'paid') ||
    event.type === 'checkout.session.async_payment_succeeded'
  );
}

export const openCheckoutUpdate = defineUpdate<OrderSnapshot, [{ requestHash: string }]>('openCheckout');
export const cancelOrderUpdate = defineUpdate<OrderSnapshot, []>('cancelOrder');
export const resumeOrderUpdate = defineUpdate<OrderSnapshot, []>('resumeOrder');
export const paymentEventSignal = defineSignal<[PaymentEvent]>('paymentEvent');

/** Ops' decision on a payment held for review (needs_review): credit the locked quote, or fail the order. */
export interface ResolveReviewRequest {
  decision: 'credit' | 'fail';
  reason: string;
  actor: string;
}
export const resolveReviewUpdate = defineUpdate<OrderSnapshot, [ResolveReviewRequest]>('resolveReview');
export const orderStateQuery = defineQuery<OrderSnapshot | null>('orderState');

/** The names the frozen workflows (workflows/legacy/) use for failures of domain/failures.ts. */
export const orderFailureTypes = {
  idempotencyKeyReused: 'idempotency_key_reused',
  notCancellable: 'order_not_cancellable',
  notResumable: 'order_not_resumable',
  notInReview: 'order_not_in_review',
  alreadyReviewed: 'order_already_reviewed',
} as const satisfies Record<string, FailureType>;

/** One workflow per order; its id is the order id with a prefix, so ops can find one from the other. */
export function orderWorkflowId(orderId: string): string {
  return `topup-${orderId}`;
}

