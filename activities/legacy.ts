// Activities only the frozen workflows of workflows/legacy/ call, under the names and inputs their
// histories recorded. Each is carried out by the current code paths, so those orders too have one
// writer of their row. Deleted with the frozen workflows.
import type { OrderSnapshot, StripeCheckoutOrderInput } from '../domain/orders.ts';
import type { CheckoutSession } from './payments/provider.ts';
import { succeededOrder } from '../workflows/order-machine.ts';
import type { ActivityDependencies } from './index.ts';
import { createOrderActivities, type PostOrderCreditResult } from './orders.ts';
import { checkoutSessionInput, createPaymentActivities } from './payments.ts';

export interface LegacyCorrectedCreditInput {
  snapshot: OrderSnapshot;
  correction: { amountReceived: string; correctedCredit: string; reason: string };
}

export function createLegacyActivities(dependencies: ActivityDependencies) {
  const orders = createOrderActivities(dependencies);
  const payments = createPaymentActivities(dependencies);
  const { paymentProvider } = dependencies;
  return {
    /** Credits the order and saves it succeeded (the frozen workflow saves it once more afterwards). */
    async creditOrder(snapshot: OrderSnapshot): Promise<PostOrderCreditResult> {
      return orders.postOrderCredit({ kind: 'credit', succeeded: succeededOrder(snapshot), correction: null });
    },

    async creditOrderWithCorrection(input: LegacyCorrectedCreditInput): Promise<PostOrderCreditResult> {
      return orders.postOrderCredit({ kind: 'credit', succeeded: succeededOrder(input.snapshot), correction: input.correction });
    },

    /** Opens the checkout at the provider without saving it (the frozen workflow saves it itself). */
    async createCheckoutSession(input: StripeCheckoutOrderInput): Promise<CheckoutSession> {
      return payments.callProvider(input.orderId, () => paymentProvider.createCheckoutSession(checkoutSessionInput(input)));
    },

    async fetchReceiptUrl(order: OrderSnapshot): Promise<string | null> {
      const { checkoutSessionId, providerPaymentId } = order;
      if (checkoutSessionId === null || providerPaymentId === null) return null;
      return payments.callProvider(order.orderId, () => paymentProvider.receiptUrl(checkoutSessionId, providerPaymentId));
    },
  };
}

