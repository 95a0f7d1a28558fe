// Airwallex's webhook events: the signature (HMAC-SHA256, hex, of x-timestamp in milliseconds followed by
// the raw body, keyed with the webhook secret), the fields Refill reads, and the payment event they become
// for the order's workflow, the same PaymentEvent a Stripe Checkout event becomes (and a refund event,
// the same refund event the refund machinery reads of Stripe's). A signed event that
// fails the checks can never succeed: InvalidStripeEvent, answered 400 invalid_event like Stripe's.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ApiError } from '../../domain/errors.ts';
import { majorNumberToMinorUnits, isCurrency } from '../../domain/money.ts';
import type { PaymentEvent } from '../../domain/orders.ts';
import { InvalidStripeEvent, maximumPayloadDepth, nestingExceeds, parseOrThrow, storable, text, type ValidStripeEvent } from './stripe-event-schema.ts';

/** As for Stripe's: a signature timestamp further than this from now, either way, is refused as a replay. */
export const airwallexWebhookToleranceSeconds = 300;
/** Airwallex's own events are recorded under this prefix, so they never share an id with Stripe's. */
export const airwallexEventIdPrefix = 'awx_';

/** The event types that reach an order; every other one (refunds, disputes, …) is recorded and ignored. */
const orderEventTypes = { 'payment_intent.succeeded': 'checkout.session.completed', 'payment_intent.cancelled': 'checkout.session.expired' } as const;

/** The signature over a timestamp and a body, as Airwallex computes it. */
export function airwallexSignature(secret: string, timestamp: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(timestamp).update(body).digest('hex');
}

/** Verifies x-timestamp and x-signature over the raw body; throws the route's 400 when either fails. */
export function verifyAirwallexSignature(body: Buffer, timestamp: string | undefined, signature: string | undefined, secret: string, nowMilliseconds = Date.now()): void {
  if (timestamp === undefined || !/^\d{1,15}$/.test(timestamp)) throw new ApiError('invalid_signature', 'The x-timestamp header is missing or not milliseconds.');
  if (signature === undefined || !/^[0-9a-fA-F]{64}$/.test(signature)) throw new ApiError('invalid_signature', 'The x-signature header is missing or not an HMAC-SHA256 in hex.');
  const expected = Buffer.from(airwallexSignature(secret, timestamp, body), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) throw new ApiError('invalid_signature', 'The x-signature does not match the body.');
  // Checked after the signature, so an unsigned request learns nothing about the clock.
  if (Math.abs(Number(timestamp) - nowMilliseconds) > airwallexWebhookToleranceSeconds * 1000) {
    throw new ApiError('signature_expired', `The x-timestamp is more than ${airwallexWebhookToleranceSeconds} seconds from now.`);
  }
}

/** The envelope of every event (the route's body in the API contract); data.object is read per type below. */
export const airwallexEventSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, { message: 'must be an Airwallex event id (letters, digits, - or _)' }),
  name: text(255).min(1),
  created_at: text(64).refine((value) => !Number.isNaN(parseAirwallexTime(value)), { message: 'must be a timestamp' }),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

const paymentIntentSchema = z.object({
  id: z.string().regex(/^int_[A-Za-z0-9_-]{1,200}$/, { message: 'must be an Airwallex payment intent id (int_…)' }),
  merchant_order_id: text(255).nullish(),
  amount: z.number().min(0).max(Number.MAX_SAFE_INTEGER),
  currency: z.string().regex(/^[A-Za-z]{3}$/, { message: 'must be a three-letter currency code' }),
  status: text(64).min(1),
});

/** Airwallex writes times as 2021-08-10T10:20:30+0000; Date.parse needs the offset's colon. */
function parseAirwallexTime(value: string): number {
  return Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

export interface ValidAirwallexEvent {
  /** The recorded id: awx_ and Airwallex's. */
  id: string;
  type: string;
  orderId: string | null;
  /** The payment event for the order's workflow; null for the types that do not reach an order. */
  paymentEvent: PaymentEvent | null;
  /** A refund event, in the form the refund machinery reads (handle-refund-events.ts); else null. */
  refund: ValidStripeEvent | null;
  payload: unknown;
}

const refundSchema = z.object({
  id: z.string().regex(/^rfd_[A-Za-z0-9_-]{1,200}$/, { message: 'must be an Airwallex refund id (rfd_…)' }),
  payment_intent_id: z.string().regex(/^int_[A-Za-z0-9_-]{1,200}$/, { message: 'must be an Airwallex payment intent id (int_…)' }),
  amount: z.number().min(0).max(Number.MAX_SAFE_INTEGER),
  currency: z.string().regex(/^[A-Za-z]{3}$/, { message: 'must be a three-letter currency code' }),
  status: text(64).min(1),
  metadata: z.record(z.string(), z.unknown()).nullish(),
});

/**
 * An Airwallex refund event as the refund machinery reads a Stripe refund.updated: amounts in minor
 * units, statuses in Stripe's words. A refund Refill made carries its refund_id in the metadata it sent.
 */
function refundEventOf(id: string, createdSeconds: number, object: Record<string, unknown>): ValidStripeEvent {
  const refund = parseOrThrow(refundSchema, object, ['data', 'object']);
  const currency = refund.currency.toUpperCase();
  const minorUnits = isCurrency(currency) ? majorNumberToMinorUnits(refund.amount, currency) : null;
  if (minorUnits === null) throw new InvalidStripeEvent('data.object.amount', 'must be a whole number of minor units of USD or CNY');
  const status = refund.status === 'SETTLED' ? 'succeeded' : refund.status === 'FAILED' ? 'failed' : 'pending';
  const metadata = Object.fromEntries(Object.entries(refund.metadata ?? {}).filter(([, value]) => typeof value === 'string'));
  const stripeShaped = { id: refund.id, amount: Number(minorUnits), currency: currency.toLowerCase(), status, payment_intent: refund.payment_intent_id, metadata };
  return { id, type: 'refund.updated', created: createdSeconds, checkout: null, payload: { data: { object: stripeShaped } } };
}

/** Checks a parsed, verified webhook body; throws InvalidStripeEvent when Refill cannot act on it. */
export function validateAirwallexEvent(body: unknown): ValidAirwallexEvent {
  if (nestingExceeds(body, maximumPayloadDepth)) throw new InvalidStripeEvent('body', `nests deeper than ${maximumPayloadDepth} levels`);
  const event = parseOrThrow(airwallexEventSchema, body, []);
  const id = `${airwallexEventIdPrefix}${event.id}`;
  const createdSeconds = Math.floor(parseAirwallexTime(event.created_at) / 1000);
  if (event.name.startsWith('refund.')) {
    return { id, type: event.name, orderId: null, paymentEvent: null, refund: refundEventOf(id, createdSeconds, event.data.object), payload: storable(body) };
  }
  const checkoutType = orderEventTypes[event.name as keyof typeof orderEventTypes];
  if (checkoutType === undefined) return { id, type: event.name, orderId: null, paymentEvent: null, refund: null, payload: storable(body) };
  const intent = parseOrThrow(paymentIntentSchema, event.data.object, ['data', 'object']);
  const currency = intent.currency.toUpperCase();
  // An amount that is not whole minor units of a currency Refill knows reaches the workflow as unknown, which holds the order for review.
  const minorUnits = isCurrency(currency) ? majorNumberToMinorUnits(intent.amount, currency) : null;
  const paymentEvent: PaymentEvent = {
    eventId: id,
    type: checkoutType,
    checkoutSessionId: intent.id,
    paymentStatus: checkoutType === 'checkout.session.completed' ? 'paid' : 'unpaid',
    amountTotalMinorUnits: minorUnits === null ? null : minorUnits.toString(),
    currency: currency.toLowerCase(),
    providerPaymentId: intent.id,
    createdSeconds,
  };
  return { id, type: event.name, orderId: intent.merchant_order_id ?? null, paymentEvent, refund: null, payload: storable(body) };
}
