// Saved cards at Stripe through the official client: a Customer per account, Checkout in setup mode,
// and off-session PaymentIntents (confirm: true, off_session: true) keyed by the attempt.
import Stripe from 'stripe';
import { PermanentProviderError } from './provider.ts';
import type { CreateSetupSessionInput, OffSessionChargeInput, OffSessionChargeResult, SavedCard, SavedCardProvider, SetupSession } from './saved-cards.ts';

function isPermanent(error: unknown): boolean {
  return error instanceof Stripe.errors.StripeAuthenticationError || error instanceof Stripe.errors.StripePermissionError;
}

/** Rethrows a failure Stripe will repeat as PermanentProviderError, so the caller fails fast. */
function rethrow(error: unknown): never {
  if (isPermanent(error) || error instanceof Stripe.errors.StripeInvalidRequestError) {
    throw new PermanentProviderError((error as Error).message, { cause: error });
  }
  throw error;
}

function savedCardOf(method: Stripe.PaymentMethod | string | null | undefined): SavedCard | null {
  if (method === null || method === undefined || typeof method === 'string' || method.card === undefined || method.card === null) return null;
  return { paymentMethodId: method.id, brand: method.card.brand, last4: method.card.last4, expMonth: method.card.exp_month, expYear: method.card.exp_year };
}

/** What a PaymentIntent's state means for an off-session charge. */
export function chargeResultOf(intent: Stripe.PaymentIntent): OffSessionChargeResult {
  if (intent.status === 'succeeded') return { outcome: 'succeeded', paymentIntentId: intent.id };
  if (intent.status === 'requires_action') return { outcome: 'authentication_required', paymentIntentId: intent.id };
  if (intent.status === 'processing') return { outcome: 'processing', paymentIntentId: intent.id };
  const error = intent.last_payment_error;
  if (error?.code === 'authentication_required') return { outcome: 'authentication_required', paymentIntentId: intent.id };
  return { outcome: 'declined', paymentIntentId: intent.id, declineCode: error?.decline_code ?? error?.code ?? intent.status };
}

/** A card error thrown by the confirming create: the decline, read from Stripe's error. */
function declineOf(error: Stripe.errors.StripeCardError): OffSessionChargeResult {
  const intentId = (error.raw as { payment_intent?: { id?: string } }).payment_intent?.id ?? null;
  if (error.code === 'authentication_required') return { outcome: 'authentication_required', paymentIntentId: intentId };
  return { outcome: 'declined', paymentIntentId: intentId, declineCode: error.decline_code ?? error.code ?? 'card_declined' };
}

export function createStripeSavedCards(stripe: Stripe): SavedCardProvider {
  return {
    name: 'stripe',

    async createCustomer(accountId: string, email: string): Promise<string> {
      try {
        // One customer per account, however often this is retried within Stripe's key window.
        const customer = await stripe.customers.create({ email, metadata: { account_id: accountId } }, { idempotencyKey: `customer-${accountId}` });
        return customer.id;
      } catch (error) {
        rethrow(error);
      }
    },

    async createSetupSession(input: CreateSetupSessionInput): Promise<SetupSession> {
      try {
        const session = await stripe.checkout.sessions.create(
          {
            mode: 'setup',
            customer: input.providerCustomerId,
            currency: input.currency.toLowerCase(),
            metadata: { account_id: input.accountId, purpose: 'save_payment_method' },
            setup_intent_data: { metadata: { account_id: input.accountId } },
            success_url: input.successUrl,
            cancel_url: input.cancelUrl,
            expires_at: Math.floor(input.expiresAt.getTime() / 1000),
          },
          { idempotencyKey: `setup-session-${input.accountId}-${input.idempotencyKey}` },
        );
        if (session.url === null) throw new PermanentProviderError(`Stripe returned setup session ${session.id} without a URL`);
        return { sessionId: session.id, url: session.url };
      } catch (error) {
        rethrow(error);
      }
    },

    async cardOfSetupSession(sessionId: string): Promise<SavedCard | null> {
      const session = await stripe.checkout.sessions.retrieve(sessionId, { expand: ['setup_intent.payment_method'] });
      const intent = session.setup_intent;
      return typeof intent === 'object' && intent !== null ? savedCardOf(intent.payment_method) : null;
    },

    async cardOfPayment(providerPaymentId: string): Promise<SavedCard | null> {
      const intent = await stripe.paymentIntents.retrieve(providerPaymentId, { expand: ['payment_method'] });
      return savedCardOf(intent.payment_method);
    },

    async detachPaymentMethod(paymentMethodId: string): Promise<void> {
      try {
        await stripe.paymentMethods.detach(paymentMethodId);
      } catch (error) {
        // Already detached (or deleted at Stripe): the card can no longer be charged, which is the aim.
        if (error instanceof Stripe.errors.StripeInvalidRequestError) return;
        rethrow(error);
      }
    },

    async chargeOffSession(input: OffSessionChargeInput): Promise<OffSessionChargeResult> {
      try {
        const intent = await stripe.paymentIntents.create(
          {
            amount: Number(input.amountMinorUnits),
            currency: input.currency.toLowerCase(),
            customer: input.providerCustomerId,
            payment_method: input.paymentMethodId,
            confirm: true,
            off_session: true,
            metadata: input.metadata,
          },
          { idempotencyKey: input.idempotencyKey },
        );
        return chargeResultOf(intent);
      } catch (error) {
        if (error instanceof Stripe.errors.StripeCardError) return declineOf(error);
        rethrow(error);
      }
    },

    async retrieveCharge(paymentIntentId: string): Promise<OffSessionChargeResult> {
      try {
        return chargeResultOf(await stripe.paymentIntents.retrieve(paymentIntentId));
      } catch (error) {
        rethrow(error);
      }
    },
  };
}
