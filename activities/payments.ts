// Activities that talk to the payment provider: open and expire an order's checkout, record its receipt
// link, and refund a payment exception. Where a call changes what the order's row shows, the activity
// writes the row itself, so the call and the write are one step of the workflow.
import { saveCheckoutSession } from '../db/orders/save-checkout-session.ts';
import { saveOrderState } from '../db/orders/save-order-state.ts';
import { resolvePaymentException } from '../db/payment-exceptions/resolve-payment-exception.ts';
import { paymentExceptionFromRow } from '../db/payment-exceptions/payment-exception-row.ts';
import { failure } from '../domain/failures.ts';
import { formatMicrosForPeople, microsToMinorUnits } from '../domain/money.ts';
import { checkoutChoiceOf, termsInMicros, type OrderSnapshot, type StripeCheckoutOrderInput } from '../domain/orders.ts';
import type { PaymentExceptionSnapshot, ResolvePaymentExceptionRequest } from '../domain/payment-exceptions.ts';
import type { ActivityDependencies } from './index.ts';
import {
  PermanentProviderError,
  type CheckoutSession,
  type CreateCheckoutSessionInput,
  type ExpireCheckoutResult,
} from './payments/provider.ts';

export interface OpenCheckoutInput {
  input: StripeCheckoutOrderInput;
  /** The workflow's state of the order, saved with the session once it is open. */
  order: OrderSnapshot;
}

export interface PaymentExceptionResolution {
  exception: PaymentExceptionSnapshot;
  decision: ResolvePaymentExceptionRequest;
}

/** What the provider is asked to charge for an order. */
export function checkoutSessionInput(input: StripeCheckoutOrderInput): CreateCheckoutSessionInput {
  const terms = input.terms;
  const { payAmountMicros, creditMicros } = termsInMicros(terms);
  return {
    orderId: input.orderId,
    accountId: input.accountId,
    customerEmail: input.customerEmail,
    currency: terms.currency,
    payAmountMinorUnits: microsToMinorUnits(payAmountMicros, terms.currency),
    productName: `Credit top-up: ${formatMicrosForPeople(creditMicros, terms.currency)} ${terms.currency}`,
    successUrl: input.successUrl,
    cancelUrl: input.cancelUrl,
    expiresAt: new Date(input.expiresAt),
    paymentMethod: terms.paymentMethod,
    checkout: checkoutChoiceOf(input),
    ...(input.saveCard === undefined ? {} : { saveCard: input.saveCard }),
  };
}

export function createPaymentActivities({ sql, paymentProvider, logger }: ActivityDependencies) {
  async function callProvider<Result>(orderId: string, call: () => Promise<Result>): Promise<Result> {
    try {
      return await call();
    } catch (error) {
      logger.warn({ orderId, provider: paymentProvider.name, err: error }, 'payment provider call failed');
      if (error instanceof PermanentProviderError) throw failure('provider_rejected', error.message, error);
      throw error;
    }
  }

  return {
    callProvider,

    /**
     * Opens the order's checkout session (one per order, by idempotency key) and saves it on the order.
     * Runs as a local activity first (workflows/order-steps.ts), so it may be attempted again while an
     * earlier attempt is still waiting for the provider: both get the same session, and the save only
     * ever writes it on the pending order (db/orders/save-checkout-session.ts).
     */
    async openCheckout({ input, order }: OpenCheckoutInput): Promise<CheckoutSession> {
      const session = await callProvider(input.orderId, () => paymentProvider.createCheckoutSession(checkoutSessionInput(input)));
      const saved = await saveCheckoutSession(sql, { orderId: order.orderId, checkoutSessionId: session.sessionId, checkoutUrl: session.url });
      if (!saved) logger.warn({ orderId: order.orderId, sessionId: session.sessionId }, 'checkout session not saved: the order is no longer pending, or holds another session');
      return session;
    },

    /** Expires the checkout session so it can no longer be paid; reports a payment that came first. */
    async expireCheckoutSession(order: OrderSnapshot): Promise<ExpireCheckoutResult> {
      if (order.checkoutSessionId === null) return { outcome: 'expired' };
      const sessionId = order.checkoutSessionId;
      return callProvider(order.orderId, () => paymentProvider.expireCheckoutSession(sessionId));
    },

    /** Finds the payment's receipt page at the provider and saves it on the credited order. */
    async recordReceipt(order: OrderSnapshot): Promise<string | null> {
      const { checkoutSessionId, providerPaymentId } = order;
      if (checkoutSessionId === null || providerPaymentId === null) return null;
      const receiptUrl = await callProvider(order.orderId, () => paymentProvider.receiptUrl(checkoutSessionId, providerPaymentId));
      if (receiptUrl !== null) await saveOrderState(sql, { ...order, receiptUrl });
      return receiptUrl;
    },

    /** Refunds an exception's payment at the provider (once, by idempotency key), then records it. */
    async refundPaymentException({ exception, decision }: PaymentExceptionResolution): Promise<PaymentExceptionSnapshot> {
      const paymentId = exception.providerPaymentId;
      if (paymentId === null) throw failure('payment_exception_not_refundable', `payment exception ${exception.id} names no payment`);
      const refund = await callProvider(exception.orderId, () =>
        paymentProvider.refundPayment({
          providerPaymentId: paymentId,
          idempotencyKey: `refund-${exception.id}`,
          metadata: { order_id: exception.orderId, payment_exception: exception.id },
        }),
      );
      const row = await resolvePaymentException(sql, { exceptionId: exception.id, decision, refundId: refund.refundId });
      logger.info({ orderId: exception.orderId, paymentExceptionId: exception.id, refundId: refund.refundId }, 'payment exception refunded');
      return paymentExceptionFromRow(row);
    },
  };
}
