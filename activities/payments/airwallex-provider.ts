// Airwallex as a payment provider: one payment intent per order (request_id derived from the order, so a
// retried activity never makes a second one; merchant_order_id is the order id), paid on Airwallex's
// hosted payment page, or for Alipay and WeChat Pay by the QR code the intent's confirmation returns.
// Expiring an order cancels its intent; an intent already paid is reported instead (the payment wins).
// retrievePayment is the provider-level lookup reconciliation uses.
import { majorNumberToMinorUnits, minorUnitsToMajorNumber, type Currency } from '../../domain/money.ts';
import type { CompletedCheckout, OrderPaymentMethod } from '../../domain/orders.ts';
import { AirwallexApiError, permanentOrRetryable, type AirwallexClient } from './airwallex-client.ts';
import {
  PermanentProviderError,
  type CheckoutSession,
  type CreateCheckoutSessionInput,
  type ExpireCheckoutResult,
  type PaymentProvider,
  type ProviderPayment,
  type RefundPaymentInput,
  type RefundPaymentResult,
} from './provider.ts';

/** A payment intent as Airwallex returns it; only what Refill reads. */
export interface AirwallexPaymentIntent {
  id: string;
  request_id?: string;
  amount: number;
  currency: string;
  merchant_order_id?: string | null;
  status: string;
  client_secret?: string;
  next_action?: { type?: string; qrcode?: string; url?: string } | null;
}

interface AirwallexRefund {
  id: string;
  status: string;
  failure_reason?: string | null;
}

/** Airwallex's payment method type and QR flow for the scan-to-pay methods. */
const qrPaymentMethods: Partial<Record<OrderPaymentMethod, string>> = { wechat_pay: 'wechatpay', alipay: 'alipaycn' };

/** The request_id of an order's payment intent: the same on every retry, so Airwallex creates it once. */
export function paymentIntentRequestId(orderId: string): string {
  return `${orderId}-payment-intent`;
}

/** Airwallex's checkout host for its API host: the demo API's page is on the demo checkout, and so on. */
export function hostedPageOrigin(apiBase: URL): string {
  if (apiBase.hostname === 'api.airwallex.com') return 'https://checkout.airwallex.com';
  if (apiBase.hostname === 'api-demo.airwallex.com') return 'https://checkout-demo.airwallex.com';
  // A stand-in server (a test's fake) serves the page itself.
  return apiBase.origin;
}

/** The hosted payment page of an intent, as Airwallex's redirectToCheckout builds it. */
function hostedPageUrl(apiBase: URL, intent: AirwallexPaymentIntent, input: CreateCheckoutSessionInput): string {
  const parameters = new URLSearchParams({
    intent_id: intent.id,
    client_secret: intent.client_secret ?? '',
    currency: input.currency,
    mode: 'payment',
    successUrl: input.successUrl,
    failUrl: input.cancelUrl,
  });
  return `${hostedPageOrigin(apiBase)}/#/standalone/checkout?${parameters.toString()}`;
}

/** Airwallex's intent as the workflow reads a completed checkout. */
export function completedCheckoutOf(intent: AirwallexPaymentIntent): CompletedCheckout {
  const currency = intent.currency.toUpperCase() as Currency;
  const minorUnits = currency === 'USD' || currency === 'CNY' ? majorNumberToMinorUnits(intent.amount, currency) : null;
  return {
    paymentStatus: intent.status === 'SUCCEEDED' ? 'paid' : 'unpaid',
    amountTotalMinorUnits: minorUnits === null ? null : minorUnits.toString(),
    currency: intent.currency.toLowerCase(),
    providerPaymentId: intent.id,
  };
}

/** Airwallex's refund statuses in the words the refund workflow reads (Stripe's). */
function refundResult(refund: AirwallexRefund): RefundPaymentResult {
  const status = refund.status === 'SETTLED' ? 'succeeded' : refund.status === 'FAILED' ? 'failed' : 'pending';
  return { refundId: refund.id, status, failureReason: refund.failure_reason ?? null };
}

export function createAirwallexProvider(client: AirwallexClient, apiBase: URL): PaymentProvider {
  /** Creates the order's intent, or finds it when a retry's request_id was already used. */
  async function createIntent(input: CreateCheckoutSessionInput): Promise<AirwallexPaymentIntent> {
    const requestId = paymentIntentRequestId(input.orderId);
    try {
      return await client.post<AirwallexPaymentIntent>('/api/v1/pa/payment_intents/create', {
        request_id: requestId,
        amount: minorUnitsToMajorNumber(input.payAmountMinorUnits, input.currency),
        currency: input.currency,
        merchant_order_id: input.orderId,
        descriptor: input.productName.slice(0, 32),
        return_url: input.successUrl,
        metadata: { order_id: input.orderId, account_id: input.accountId },
      });
    } catch (error) {
      if (!(error instanceof AirwallexApiError && error.code === 'duplicate_request')) throw error;
      return findIntent(input.orderId, requestId);
    }
  }

  async function findIntent(orderId: string, requestId: string): Promise<AirwallexPaymentIntent> {
    const page = await client.get<{ items?: AirwallexPaymentIntent[] }>(`/api/v1/pa/payment_intents?merchant_order_id=${encodeURIComponent(orderId)}`);
    const intent = (page.items ?? []).find((item) => item.request_id === requestId);
    if (intent === undefined) throw new Error(`Airwallex reported a duplicate request ${requestId} but lists no such intent`);
    return intent;
  }

  /** Confirms the intent with the method's QR flow and returns the code's content. */
  async function qrCode(intent: AirwallexPaymentIntent, paymentMethod: OrderPaymentMethod): Promise<string> {
    const type = qrPaymentMethods[paymentMethod];
    if (type === undefined) throw new PermanentProviderError(`${paymentMethod} has no QR flow at Airwallex`);
    const confirmed = await client.post<AirwallexPaymentIntent>(`/api/v1/pa/payment_intents/${intent.id}/confirm`, {
      request_id: `${intent.id}-confirm-qr`,
      payment_method: { type, [type]: { flow: 'qrcode' } },
    });
    const code = confirmed.next_action?.qrcode ?? confirmed.next_action?.url;
    if (typeof code !== 'string' || code === '') throw new PermanentProviderError(`Airwallex returned no QR code for ${intent.id}`);
    return code;
  }

  async function retrieveIntent(intentId: string): Promise<AirwallexPaymentIntent> {
    return client.get<AirwallexPaymentIntent>(`/api/v1/pa/payment_intents/${encodeURIComponent(intentId)}`);
  }

  return {
    name: 'airwallex',

    async createCheckoutSession(input: CreateCheckoutSessionInput): Promise<CheckoutSession> {
      return permanentOrRetryable(async () => {
        const intent = await createIntent(input);
        if (input.checkout.flow === 'qr_code') return { sessionId: intent.id, url: await qrCode(intent, input.paymentMethod) };
        return { sessionId: intent.id, url: hostedPageUrl(apiBase, intent, input) };
      });
    },

    async expireCheckoutSession(intentId: string): Promise<ExpireCheckoutResult> {
      return permanentOrRetryable(async () => {
        try {
          await client.post(`/api/v1/pa/payment_intents/${encodeURIComponent(intentId)}/cancel`, {
            request_id: `${intentId}-cancel`,
            cancellation_reason: 'The top-up order expired or was cancelled.',
          });
          return { outcome: 'expired' };
        } catch (error) {
          if (!(error instanceof AirwallexApiError) || error.status >= 500) throw error;
        }
        // Airwallex refuses to cancel an intent that is no longer cancellable: find out whether it was paid.
        const intent = await retrieveIntent(intentId);
        if (intent.status !== 'SUCCEEDED') return { outcome: 'expired' };
        return { outcome: 'completed', checkout: completedCheckoutOf(intent) };
      });
    },

    // Airwallex has no receipt page for a payment intent; the invoice is the customer's record.
    async receiptUrl(): Promise<string | null> {
      return null;
    },

    async refundPayment(input: RefundPaymentInput): Promise<RefundPaymentResult> {
      return permanentOrRetryable(async () => {
        // Airwallex takes a part's amount in major units of the intent's currency; a whole refund names none.
        const amount = input.amountMinorUnits;
        const currency = amount === undefined ? null : ((await retrieveIntent(input.providerPaymentId)).currency.toUpperCase() as Currency);
        const refund = await client.post<AirwallexRefund>('/api/v1/pa/refunds/create', {
          request_id: input.idempotencyKey,
          payment_intent_id: input.providerPaymentId,
          ...(amount === undefined || currency === null ? {} : { amount: minorUnitsToMajorNumber(amount, currency) }),
          reason: 'Refund of a top-up',
          metadata: input.metadata,
        });
        return refundResult(refund);
      });
    },

    async retrieveRefund(refundId: string): Promise<RefundPaymentResult> {
      return permanentOrRetryable(async () => refundResult(await client.get<AirwallexRefund>(`/api/v1/pa/refunds/${encodeURIComponent(refundId)}`)));
    },

    async retrievePayment(paymentId: string): Promise<ProviderPayment> {
      return permanentOrRetryable(async () => {
        const intent = await retrieveIntent(paymentId);
        const checkout = completedCheckoutOf(intent);
        return {
          paymentId: intent.id,
          status: intent.status,
          succeeded: intent.status === 'SUCCEEDED',
          amountMinorUnits: checkout.amountTotalMinorUnits === null ? null : BigInt(checkout.amountTotalMinorUnits),
          currency: checkout.currency,
          orderId: intent.merchant_order_id ?? null,
        };
      });
    },
  };
}
