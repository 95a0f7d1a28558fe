// Stripe Checkout through the official client. STRIPE_API_BASE points it at a Stripe-compatible server.
import Stripe from 'stripe';
import type { StripeConfig } from '../../config/config.ts';
import {
  PermanentProviderError,
  type CheckoutSession,
  type CreateCheckoutSessionInput,
  type ExpireCheckoutResult,
  type ListedPayment,
  type PaymentLookup,
  type PaymentProvider,
  type ProviderPayment,
  type RefundPaymentInput,
  type RefundPaymentResult,
  type RetrievedPayment,
} from './provider.ts';

/**
 * Stripe calls that take longer fail and are retried by the activity's own policy. With the client's
 * own retries, a call gives up within about 3 × 8 s plus backoff, under the provider activities' 30 s
 * start-to-close timeout (workflows/activity-options.ts), so it fails with Stripe's error, not Temporal's.
 */
const stripeRequestTimeoutMilliseconds = 8_000;
/** The client retries network failures itself, with the same idempotency key. */
const stripeNetworkRetries = 2;

export function createStripeClient(config: StripeConfig): Stripe {
  if (config.secretKey === undefined) throw new Error('the Stripe provider needs STRIPE_SECRET_KEY');
  const base = config.apiBase;
  return new Stripe(config.secretKey, {
    maxNetworkRetries: stripeNetworkRetries,
    timeout: stripeRequestTimeoutMilliseconds,
    ...(base === undefined
      ? {}
      : {
          host: base.hostname,
          port: base.port === '' ? (base.protocol === 'https:' ? 443 : 80) : Number(base.port),
          protocol: base.protocol === 'https:' ? 'https' : 'http',
        }),
  });
}

/** Errors Stripe will answer the same way on every retry. */
function isPermanent(error: unknown): boolean {
  return (
    error instanceof Stripe.errors.StripeInvalidRequestError ||
    error instanceof Stripe.errors.StripeAuthenticationError ||
    error instanceof Stripe.errors.StripePermissionError
  );
}

/**
 * The pricing file's payment_method_types, as the Checkout session's allowed_payment_method_types (the
 * API version of this client names them so); none configured leaves the choice to the dashboard. WeChat
 * Pay on Checkout needs its client named: the web page shows its QR code.
 */
function paymentMethodTypesOf(input: CreateCheckoutSessionInput): Partial<Stripe.Checkout.SessionCreateParams> {
  const types = input.checkout.paymentMethodTypes as Stripe.Checkout.SessionCreateParams.AllowedPaymentMethodType[];
  if (types.length === 0) return {};
  return {
    allowed_payment_method_types: types,
    ...(types.includes('wechat_pay') ? { payment_method_options: { wechat_pay: { client: 'web' } } } : {}),
  };
}

export function createStripeProvider(stripe: Stripe): PaymentProvider {
  return {
    name: 'stripe',

    async createCheckoutSession(input: CreateCheckoutSessionInput): Promise<CheckoutSession> {
      try {
        const session = await stripe.checkout.sessions.create(
          {
            mode: 'payment',
            client_reference_id: input.orderId,
            metadata: { order_id: input.orderId, account_id: input.accountId },
            payment_intent_data: {
              metadata: { order_id: input.orderId, account_id: input.accountId },
              // save_payment_method: the card is kept on the account's customer for later off-session charges.
              ...(input.saveCard === undefined ? {} : { setup_future_usage: 'off_session' as const }),
            },
            // Stripe takes a customer or an email, not both; the customer has the account's email.
            ...(input.saveCard === undefined ? { customer_email: input.customerEmail } : { customer: input.saveCard.providerCustomerId }),
            line_items: [
              {
                quantity: 1,
                price_data: {
                  currency: input.currency.toLowerCase(),
                  unit_amount: Number(input.payAmountMinorUnits),
                  product_data: { name: input.productName },
                },
              },
            ],
            success_url: input.successUrl,
            cancel_url: input.cancelUrl,
            expires_at: Math.floor(input.expiresAt.getTime() / 1000),
            ...paymentMethodTypesOf(input),
          },
          // One session per order, however often the activity is retried.
          { idempotencyKey: `checkout-session-${input.orderId}` },
        );
        if (session.url === null) throw new PermanentProviderError(`Stripe returned session ${session.id} without a URL`);
        return { sessionId: session.id, url: session.url };
      } catch (error) {
        if (isPermanent(error)) throw new PermanentProviderError((error as Error).message, { cause: error });
        throw error;
      }
    },

    async receiptUrl(_checkoutSessionId: string, providerPaymentId: string): Promise<string | null> {
      // The receipt belongs to the payment's charge.
      const intent = await stripe.paymentIntents.retrieve(providerPaymentId, { expand: ['latest_charge'] });
      const charge = intent.latest_charge;
      return typeof charge === 'object' && charge !== null ? (charge.receipt_url ?? null) : null;
    },

    async refundPayment(input: RefundPaymentInput): Promise<RefundPaymentResult> {
      try {
        const refund = await stripe.refunds.create(
          {
            payment_intent: input.providerPaymentId,
            metadata: input.metadata,
            ...(input.amountMinorUnits === undefined ? {} : { amount: Number(input.amountMinorUnits) }),
          },
          { idempotencyKey: input.idempotencyKey },
        );
        return { refundId: refund.id, status: refund.status ?? 'pending', failureReason: refund.failure_reason ?? null };
      } catch (error) {
        if (isPermanent(error)) throw new PermanentProviderError((error as Error).message, { cause: error });
        throw error;
      }
    },

    async retrieveRefund(refundId: string): Promise<RefundPaymentResult> {
      try {
        const refund = await stripe.refunds.retrieve(refundId);
        return { refundId: refund.id, status: refund.status ?? 'pending', failureReason: refund.failure_reason ?? null };
      } catch (error) {
        if (isPermanent(error)) throw new PermanentProviderError((error as Error).message, { cause: error });
        throw error;
      }
    },

    async retrievePayment(paymentId: string): Promise<ProviderPayment> {
      try {
        const intent = await stripe.paymentIntents.retrieve(paymentId);
        return {
          paymentId: intent.id,
          status: intent.status,
          succeeded: intent.status === 'succeeded',
          amountMinorUnits: BigInt(intent.amount_received > 0 ? intent.amount_received : intent.amount),
          currency: intent.currency,
          orderId: intent.metadata?.order_id ?? null,
        };
      } catch (error) {
        if (isPermanent(error)) throw new PermanentProviderError((error as Error).message, { cause: error });
        throw error;
      }
    },

    async retrieveCheckoutPayment(order: PaymentLookup): Promise<RetrievedPayment> {
      try {
        const session = await stripe.checkout.sessions.retrieve(order.checkoutSessionId, { expand: ['payment_intent'] });
        return retrievedPaymentOf(session);
      } catch (error) {
        if (isPermanent(error)) throw new PermanentProviderError((error as Error).message, { cause: error });
        throw error;
      }
    },

    async listSuccessfulPayments(range: { from: Date; to: Date }): Promise<ListedPayment[]> {
      const created = { gte: Math.floor(range.from.getTime() / 1000), lt: Math.floor(range.to.getTime() / 1000) };
      const payments: ListedPayment[] = [];
      try {
        // The client's auto-pagination follows starting_after through every page of the range.
        for await (const session of stripe.checkout.sessions.list({ created, limit: 100 })) {
          const payment = retrievedPaymentOf(session);
          if (payment.status !== 'paid') continue;
          payments.push({ ...payment, checkoutSessionId: session.id, orderId: session.client_reference_id ?? session.metadata?.order_id ?? null });
        }
      } catch (error) {
        if (isPermanent(error)) throw new PermanentProviderError((error as Error).message, { cause: error });
        throw error;
      }
      return payments;
    },

    async expireCheckoutSession(sessionId: string): Promise<ExpireCheckoutResult> {
      try {
        await stripe.checkout.sessions.expire(sessionId);
        return { outcome: 'expired' };
      } catch (error) {
        if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
        // Stripe refuses to expire a session that is no longer open: find out whether it was paid.
        const session = await stripe.checkout.sessions.retrieve(sessionId);
        if (session.status !== 'complete') return { outcome: 'expired' };
        const paymentIntent = session.payment_intent;
        return {
          outcome: 'completed',
          checkout: {
            paymentStatus: session.payment_status === 'paid' ? 'paid' : 'unpaid',
            amountTotalMinorUnits: session.amount_total === null ? null : String(session.amount_total),
            currency: session.currency,
            providerPaymentId: typeof paymentIntent === 'string' ? paymentIntent : (paymentIntent?.id ?? null),
          },
        };
      }
    },
  };
}

/**
 * A Checkout Session as reconciliation reads it: paid once Stripe says so; complete but unpaid with its
 * PaymentIntent still processing is an asynchronous payment under way (a bank debit).
 */
function retrievedPaymentOf(session: Stripe.Checkout.Session): RetrievedPayment {
  const intent = session.payment_intent;
  const intentObject = typeof intent === 'object' && intent !== null ? intent : null;
  const reference = typeof intent === 'string' ? intent : (intentObject?.id ?? null);
  const paid = session.payment_status === 'paid' || session.payment_status === 'no_payment_required';
  const status: RetrievedPayment['status'] = paid
    ? 'paid'
    : session.status === 'expired'
      ? 'expired'
      : intentObject?.status === 'processing'
        ? 'processing'
        : 'unpaid';
  return {
    status,
    amountMinorUnits: session.amount_total === null ? null : BigInt(session.amount_total),
    currency: session.currency,
    reference,
  };
}
