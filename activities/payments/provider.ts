// The payment provider behind a checkout: Stripe, or the built-in sandbox that stands in for it.
import type { Currency } from '../../domain/money.ts';
import type { ExpireCheckoutResult } from '../../domain/orders.ts';

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
}

export interface CheckoutSession {
  sessionId: string;
  url: string;
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

export interface PaymentProvider {
  readonly name: 'stripe' | 'sandbox';
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
}

/** A failure the provider will repeat however often it is asked (bad parameters, bad key). */
export class PermanentProviderError extends Error {
  override name = 'PermanentProviderError';
}
