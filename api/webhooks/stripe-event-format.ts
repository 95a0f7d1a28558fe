// Stripe-format checkout events: built by the sandbox provider's payment page (and by tests), and read
// back into the workflow's PaymentEvent. One place knows the shape of a Stripe checkout session event.
import type { PaymentEvent } from '../../domain/orders.ts';
import { randomToken } from '../../ids/ids.ts';
import type { CheckoutSession } from './stripe-event-schema.ts';

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
export function orderIdOfCheckoutEvent(session: Pick<CheckoutSession, 'client_reference_id' | 'metadata'>): string | null {
  for (const candidate of [session.client_reference_id, session.metadata?.order_id]) {
    if (typeof candidate === 'string' && /^ord_[0-9a-z]{24}$/.test(candidate)) return candidate;
  }
  return null;
}

/** Reduces a validated checkout event to what the order workflow needs. */
export function paymentEventFromCheckoutEvent(event: {
  id: string;
  type: CheckoutEventType;
  created: number;
  session: CheckoutSession;
}): PaymentEvent {
  const { session } = event;
  const paymentIntent = session.payment_intent;
  const paymentStatus = session.payment_status;
  return {
    eventId: event.id,
    type: event.type,
    checkoutSessionId: session.id,
    // A status Stripe may add later is treated as "not paid": it never credits by accident.
    paymentStatus: paymentStatus === 'paid' || paymentStatus === 'no_payment_required' ? paymentStatus : 'unpaid',
    amountTotalMinorUnits: typeof session.amount_total === 'number' ? String(session.amount_total) : null,
    currency: session.currency ?? null,
    providerPaymentId: typeof paymentIntent === 'string' ? paymentIntent : (paymentIntent?.id ?? null),
    createdSeconds: event.created,
  };
}

/**
 * What an event tells its order, without its id: two events with the same content change an order at
 * most once between them, so the second is a duplicate whatever its id.
 */
export function paymentEventContentKey(event: PaymentEvent): string {
  return JSON.stringify([
    event.type,
    event.checkoutSessionId,
    event.paymentStatus,
    event.amountTotalMinorUnits,
    event.currency,
    event.providerPaymentId,
  ]);
}
