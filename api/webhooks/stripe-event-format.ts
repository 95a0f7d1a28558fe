// Stripe-format checkout events: built by the sandbox provider's payment page (and by tests), and read
// back into the workflow's PaymentEvent. One place knows the shape of a Stripe checkout session event.
import type { PaymentEvent } from '../../domain/orders.ts';
import { randomToken } from '../../ids/ids.ts';

export const checkoutEventTypes = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
] as const satisfies readonly PaymentEvent['type'][];

export type CheckoutEventType = (typeof checkoutEventTypes)[number];

export interface CheckoutSessionFields {
  sessionId: string;
  orderId: string | null;
  accountId?: string | null;
  status: 'open' | 'complete' | 'expired';
  paymentStatus: 'paid' | 'unpaid' | 'no_payment_required';
  /** Minor units. */
  amountTotal: number | null;
  currency: string | null;
  paymentIntentId: string | null;
}

/** A Stripe event object of one of the checkout types, as Stripe would send it to a webhook endpoint. */
export function buildCheckoutEvent(
  type: CheckoutEventType,
  session: CheckoutSessionFields,
  options: { eventId?: string; createdSeconds?: number; livemode?: boolean } = {},
) {
  const created = options.createdSeconds ?? Math.floor(Date.now() / 1000);
  return {
    id: options.eventId ?? `evt_${randomToken()}`,
    object: 'event',
    api_version: '2025-03-31.basil',
    created,
    livemode: options.livemode ?? false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: {
      object: {
        id: session.sessionId,
        object: 'checkout.session',
        mode: 'payment',
        client_reference_id: session.orderId,
        metadata: session.orderId === null ? {} : { order_id: session.orderId, account_id: session.accountId ?? '' },
        status: session.status,
        payment_status: session.paymentStatus,
        amount_total: session.amountTotal,
        amount_subtotal: session.amountTotal,
        currency: session.currency,
        payment_intent: session.paymentIntentId,
        livemode: options.livemode ?? false,
        created,
      },
    },
  };
}

/** The order a checkout event is about: client_reference_id, else metadata.order_id. */
export function orderIdOfCheckoutEvent(session: Record<string, unknown>): string | null {
  const candidates = [session.client_reference_id, (session.metadata as Record<string, unknown> | undefined)?.order_id];
  for (const candidate of candidates) {
    if (typeof candidate === 'string' && /^ord_[0-9a-z]{24}$/.test(candidate)) return candidate;
  }
  return null;
}

/** Reduces a verified checkout event to what the order workflow needs. */
export function paymentEventFromCheckoutEvent(event: {
  id: string;
  type: CheckoutEventType;
  created: number;
  data: { object: Record<string, unknown> };
}): PaymentEvent {
  const session = event.data.object;
  const paymentIntent = session.payment_intent;
  const paymentStatus = session.payment_status;
  return {
    eventId: event.id,
    type: event.type,
    checkoutSessionId: String(session.id),
    paymentStatus: paymentStatus === 'paid' || paymentStatus === 'no_payment_required' ? paymentStatus : 'unpaid',
    amountTotalMinorUnits: typeof session.amount_total === 'number' ? String(session.amount_total) : null,
    currency: typeof session.currency === 'string' ? session.currency : null,
    providerPaymentId:
      typeof paymentIntent === 'string'
        ? paymentIntent
        : typeof (paymentIntent as { id?: unknown } | null)?.id === 'string'
          ? (paymentIntent as { id: string }).id
          : null,
    createdSeconds: event.created,
  };
}
