// Activities that talk to the payment provider.
import { ApplicationFailure } from '@temporalio/common';
import { microsFromDecimal, microsToMinorUnits } from '../domain/money.ts';
import type { OrderSnapshot, TopUpOrderInput } from '../domain/orders.ts';
import type { ActivityDependencies } from './index.ts';
import { PermanentProviderError, type CheckoutSession, type ExpireCheckoutResult } from './payments/provider.ts';

export function createPaymentActivities({ paymentProvider, logger }: ActivityDependencies) {
  async function callProvider<Result>(orderId: string, call: () => Promise<Result>): Promise<Result> {
    try {
      return await call();
    } catch (error) {
      logger.warn({ orderId, provider: paymentProvider.name, err: error }, 'payment provider call failed');
      if (error instanceof PermanentProviderError) throw ApplicationFailure.nonRetryable(error.message, 'provider_rejected');
      throw error;
    }
  }

  return {
    /** Opens the order's checkout session at the provider (one per order, by idempotency key). */
    async createCheckoutSession(input: TopUpOrderInput): Promise<CheckoutSession> {
      const terms = input.terms;
      return callProvider(input.orderId, () =>
        paymentProvider.createCheckoutSession({
          orderId: input.orderId,
          accountId: input.accountId,
          customerEmail: input.customerEmail,
          currency: terms.currency,
          payAmountMinorUnits: microsToMinorUnits(microsFromDecimal(terms.payAmount), terms.currency),
          productName: `Credit top-up: ${terms.credit.replace(/0{4}$/, '')} ${terms.currency}`,
          successUrl: input.successUrl,
          cancelUrl: input.cancelUrl,
          expiresAt: new Date(input.expiresAt),
        }),
      );
    },

    /** The payment's receipt page at the provider, shown on the order. */
    async fetchReceiptUrl(order: OrderSnapshot): Promise<string | null> {
      const { checkoutSessionId, providerPaymentId } = order;
      if (checkoutSessionId === null || providerPaymentId === null) return null;
      return callProvider(order.orderId, () => paymentProvider.receiptUrl(checkoutSessionId, providerPaymentId));
    },

    /** Expires the checkout session so it can no longer be paid; reports a payment that came first. */
    async expireCheckoutSession(order: OrderSnapshot): Promise<ExpireCheckoutResult> {
      if (order.checkoutSessionId === null) return { outcome: 'expired' };
      const sessionId = order.checkoutSessionId;
      return callProvider(order.orderId, () => paymentProvider.expireCheckoutSession(sessionId));
    },
  };
}
