// The one PaymentProvider the activities are given: it sends each call to the provider that took (or is
// to take) the order. A new checkout goes to the order's provider (its CheckoutChoice), or to the
// sandbox that stands in for it; every later call names an id the provider issued, and each provider's
// ids carry its own prefix (Airwallex: int_ intents, rfd_ refunds; the sandbox: cs_sandbox_, pi_sandbox_,
// re_sandbox_; Stripe: everything else), so the call reaches the one that knows it.
import type { CheckoutProviderName } from '../../domain/orders.ts';
import {
  PermanentProviderError,
  type CreateCheckoutSessionInput,
  type PaymentProvider,
} from './provider.ts';

export interface ProviderRoutes {
  /** Stripe, or the sandbox standing in for it. */
  stripe: PaymentProvider;
  /** Airwallex, the sandbox standing in for it, or null where nothing may (production without credentials). */
  airwallex: PaymentProvider | null;
  /** The sandbox, for the ids it issued; null in production. */
  sandbox: PaymentProvider | null;
}

const sandboxIdPattern = /^(cs|pi|re)_sandbox_/;
const airwallexIdPattern = /^(int|rfd)_/;

/** The provider that issued an id. */
export function providerOfId(routes: ProviderRoutes, id: string): PaymentProvider {
  if (sandboxIdPattern.test(id) && routes.sandbox !== null) return routes.sandbox;
  if (airwallexIdPattern.test(id)) return present(routes.airwallex, 'airwallex');
  return routes.stripe;
}

function present(provider: PaymentProvider | null, name: CheckoutProviderName): PaymentProvider {
  if (provider === null) throw new PermanentProviderError(`${name} is not configured here (no credentials)`);
  return provider;
}

export function createRoutingProvider(routes: ProviderRoutes): PaymentProvider {
  return {
    name: 'routing',
    createCheckoutSession: (input: CreateCheckoutSessionInput) =>
      (input.checkout.provider === 'airwallex' ? present(routes.airwallex, 'airwallex') : routes.stripe).createCheckoutSession(input),
    expireCheckoutSession: (sessionId) => providerOfId(routes, sessionId).expireCheckoutSession(sessionId),
    receiptUrl: (sessionId, paymentId) => providerOfId(routes, paymentId).receiptUrl(sessionId, paymentId),
    refundPayment: (input) => providerOfId(routes, input.providerPaymentId).refundPayment(input),
    retrieveRefund: (refundId) => providerOfId(routes, refundId).retrieveRefund(refundId),
    retrievePayment: (paymentId) => providerOfId(routes, paymentId).retrievePayment(paymentId),
    // Reconciliation's questions go to the provider that issued the checkout; one that cannot answer them
    // (Airwallex, for now) leaves its orders to their own expiry and to ops (outcome not_asked).
    async retrieveCheckoutPayment(order) {
      const provider = providerOfId(routes, order.checkoutSessionId);
      if (provider.retrieveCheckoutPayment === undefined) throw new PermanentProviderError(`${provider.name} cannot be asked about checkouts`);
      return provider.retrieveCheckoutPayment(order);
    },
    async listSuccessfulPayments(range) {
      const listed = await Promise.all(
        [routes.stripe, routes.sandbox].filter((provider) => provider !== null).map((provider) => provider.listSuccessfulPayments?.(range) ?? []),
      );
      return listed.flat();
    },
  };
}
