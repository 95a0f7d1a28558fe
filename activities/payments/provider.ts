// The payment provider behind a checkout: Stripe, Airwallex, or the built-in sandbox that stands in for
// either. Every provider implements this one interface; routing-provider.ts sends each call to the one
// that took (or is to take) the order.
import type { Currency } from '../../domain/money.ts';
import type { CheckoutChoice, ExpireCheckoutResult, OrderPaymentMethod } from '../../domain/orders.ts';

export interface CreateCheckoutSessionInput {
  orderId: string;
  accountId: string;
  customerEmail: string;
  currency: Currency;
  /** What the customer pays, in minor units (cents, fen). */
  payAmountMinorUnits: bigint;
  /** Shown on the payment page, e.g. "Credit top-up: 105.00 USD". */
  productName: string;
  successUrl: string;
  cancelUrl: string;
  expiresAt: Date;
  /** The order's method (alipay and wechat_pay choose the provider's QR flow). */
  paymentMethod: OrderPaymentMethod;
  checkout: CheckoutChoice;
  /** Save the card for off-session use (setup_future_usage) with this provider customer. */
  saveCard?: { providerCustomerId: string };
}

export interface CheckoutSession {
  /** The provider's id of the checkout: a Checkout Session (cs_…), an Airwallex payment intent (int_…). */
  sessionId: string;
  /** The hosted page the payer is sent to, or for a QR flow the QR code's content. */
  url: string;
}

/** A payment as its provider reports it now, for reconciliation. */
export interface ProviderPayment {
  paymentId: string;
  /** The provider's own status word (Airwallex: SUCCEEDED, CANCELLED, …; Stripe: succeeded, canceled, …). */
  status: string;
  /** Whether the money was taken. */
  succeeded: boolean;
  amountMinorUnits: bigint | null;
  /** Lower case, as Stripe writes it. */
  currency: string | null;
  /** The order the provider has it for (merchant_order_id, or the order_id metadata). */
  orderId: string | null;
}

export type { CompletedCheckout, ExpireCheckoutResult } from '../../domain/orders.ts';

export interface RefundPaymentInput {
  providerPaymentId: string;
  /** The same key on every retry: the provider refunds once. */
  idempotencyKey: string;
  metadata: Record<string, string>;
  /** Part of the payment, in minor units; the whole payment when absent. */
  amountMinorUnits?: bigint;
}

export interface RefundPaymentResult {
  refundId: string;
  status: string;
  /** Why the provider failed the refund, when it says. */
  failureReason?: string | null;
}

/** What the provider says about an order's payment, asked directly (reconciliation), not told by a webhook. */
export interface RetrievedPayment {
  /** paid: the money is taken; processing: an asynchronous payment is under way; unpaid: nothing taken (yet); expired: it can no longer be paid. */
  status: 'paid' | 'processing' | 'unpaid' | 'expired';
  /** Minor units, as the provider reports them; null when it does not say. */
  amountMinorUnits: bigint | null;
  /** Lowercase ISO code, as the provider reports it; null when it does not say. */
  currency: string | null;
  /** The provider's payment (Stripe: the PaymentIntent id), null before there is one. */
  reference: string | null;
}

/** The order a provider is asked about: its checkout (the session, or another provider's payment id). */
export interface PaymentLookup {
  orderId: string;
  checkoutSessionId: string;
}

/** A successful payment as the provider lists it for a day (the daily reconciliation's input). */
export interface ListedPayment extends RetrievedPayment {
  checkoutSessionId: string;
  /** The order the checkout carries (client_reference_id or metadata), null when it names none. */
  orderId: string | null;
}

export interface PaymentProvider {
  readonly name: 'stripe' | 'sandbox' | 'airwallex' | 'routing';
  /** Idempotent per order: asking twice for the same order returns the same session. */
  createCheckoutSession(input: CreateCheckoutSessionInput): Promise<CheckoutSession>;
  /** Stops the session from being paid; reports the payment instead when it was already completed. */
  expireCheckoutSession(sessionId: string): Promise<ExpireCheckoutResult>;
  /** The provider's receipt page for a payment, or null when it has none (yet). */
  receiptUrl(checkoutSessionId: string, providerPaymentId: string): Promise<string | null>;
  /** Refunds a payment, whole or in part; idempotent on the key. */
  refundPayment(input: RefundPaymentInput): Promise<RefundPaymentResult>;
  /** A refund's current status at the provider, for a refund that was not final when it was made. */
  retrieveRefund(refundId: string): Promise<RefundPaymentResult>;
  /** A payment's current state at the provider (reconciliation asks whichever provider took the order). */
  retrievePayment(paymentId: string): Promise<ProviderPayment>;
  /**
   * The truth about an order's payment, for reconciliation. Optional so that a provider added before it
   * can answer still plugs in: reconciliation leaves its orders alone (outcome not_asked).
   */
  retrieveCheckoutPayment?(order: PaymentLookup): Promise<RetrievedPayment>;
  /** Every paid checkout created in [from, to), across all the provider's pages. */
  listSuccessfulPayments?(range: { from: Date; to: Date }): Promise<ListedPayment[]>;
}

/** A failure the provider will repeat however often it is asked (bad parameters, bad key). */
export class PermanentProviderError extends Error {
  override name = 'PermanentProviderError';
}
