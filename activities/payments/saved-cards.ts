// Saved cards at the payment provider: the account's customer, Checkout Sessions in setup mode, the
// card a completed setup saved, detaching it, and charging it off-session. Stripe, or the sandbox that
// stands in for it when no STRIPE_SECRET_KEY is configured (as for Checkout).
import type { Currency } from '../../domain/money.ts';

export interface CreateSetupSessionInput {
  accountId: string;
  providerCustomerId: string;
  currency: Currency;
  /** Names the session: the same key asks for the same session. */
  idempotencyKey: string;
  successUrl: string;
  cancelUrl: string;
  expiresAt: Date;
}

export interface SetupSession {
  sessionId: string;
  url: string;
}

/** What Refill keeps of a card: never its number. */
export interface SavedCard {
  paymentMethodId: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

export interface OffSessionChargeInput {
  providerCustomerId: string;
  paymentMethodId: string;
  currency: Currency;
  amountMinorUnits: bigint;
  /** From the attempt id: a retried charge is the same charge at the provider. */
  idempotencyKey: string;
  metadata: Record<string, string>;
}

/** The provider's answer to an off-session charge: final, or still processing (wait for its event). */
export type OffSessionChargeResult =
  | { outcome: 'succeeded'; paymentIntentId: string }
  | { outcome: 'processing'; paymentIntentId: string }
  | { outcome: 'declined'; paymentIntentId: string | null; declineCode: string }
  | { outcome: 'authentication_required'; paymentIntentId: string | null };

export interface SavedCardProvider {
  readonly name: 'stripe' | 'sandbox';
  /** A new customer at the provider for the account (the caller stores it once). */
  createCustomer(accountId: string, email: string): Promise<string>;
  createSetupSession(input: CreateSetupSessionInput): Promise<SetupSession>;
  /** The card a completed setup session saved, or null when it saved none. */
  cardOfSetupSession(sessionId: string): Promise<SavedCard | null>;
  /** The card a payment was made with, for `save_payment_method` on a top-up; null when none. */
  cardOfPayment(providerPaymentId: string): Promise<SavedCard | null>;
  /** Detaches the card from its customer: it can never be charged again. */
  detachPaymentMethod(paymentMethodId: string): Promise<void>;
  /** Charges a saved card without the customer present (confirm: true, off_session: true). */
  chargeOffSession(input: OffSessionChargeInput): Promise<OffSessionChargeResult>;
  /** The charge's current outcome: the fallback when its event does not arrive. */
  retrieveCharge(paymentIntentId: string): Promise<OffSessionChargeResult>;
}
