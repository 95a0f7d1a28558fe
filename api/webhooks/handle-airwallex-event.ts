// What happens to a verified Airwallex event: recorded by its id first (in stripe_events, provider
// airwallex), then delivered to its order's workflow through the same path as Stripe's checkout events
// (deliverCheckoutEvent: the per-order cap, the signal, payment exceptions for closed orders). Throws
// when the event can be neither recorded nor delivered, so the route answers 503 and Airwallex retries.
import { getOrderRow } from '../../db/orders/get-order.ts';
import { markStripeEvent, type StripeEventOutcome } from '../../db/stripe-events/mark-stripe-event.ts';
import { recordStripeEvent } from '../../db/stripe-events/record-stripe-event.ts';
import { validateAirwallexEvent } from './airwallex-event.ts';
import { handleMoneyBackEvent } from './handle-refund-events.ts';
import { deliverCheckoutEvent, type StripeEventDependencies } from './handle-stripe-event.ts';

/** Order ids as Refill makes them; merchant_order_id of any other form names no order. */
const orderIdPattern = /^ord_[0-9a-z]{24}$/;

/**
 * Handles a verified webhook body. Throws InvalidStripeEvent, before anything is recorded, when the body
 * lacks what Refill reads; any other error means it could not be recorded or delivered (retry).
 */
export async function handleAirwallexEvent(dependencies: StripeEventDependencies, body: unknown): Promise<StripeEventOutcome> {
  const { sql, logger } = dependencies;
  const event = validateAirwallexEvent(body);
  const orderId = event.orderId !== null && orderIdPattern.test(event.orderId) ? event.orderId : null;
  const record = await recordStripeEvent(sql, { id: event.id, type: event.type, orderId, payload: event.payload, provider: 'airwallex' });
  const context = { airwallexEventId: event.id, type: event.type, orderId, redelivery: !record.firstDelivery };
  // Handled before: what it led to (a signal, an exception) is durable, so it is not done twice.
  if (record.outcome !== null) return finish(record.outcome as StripeEventOutcome);
  // Refunds go into the refund machinery as Stripe's do; disputes at Airwallex are not taken in yet (README).
  if (event.refund !== null && dependencies.refunds !== undefined) {
    return finish(await handleMoneyBackEvent({ ...dependencies, refunds: dependencies.refunds }, event.refund));
  }
  if (event.paymentEvent === null) return finish('ignored_type');
  const order = orderId === null ? null : await getOrderRow(sql, orderId, null);
  if (order === null) return finish('unknown_order');
  const outcome = await deliverCheckoutEvent(dependencies, order, event.paymentEvent, 'airwallex');
  if (outcome === 'payment_exception') logger.error(context, 'payment for a closed order; recorded as a payment exception');
  return finish(outcome);

  async function finish(outcome: StripeEventOutcome): Promise<StripeEventOutcome> {
    await markStripeEvent(sql, event.id, outcome);
    logger.info({ ...context, outcome }, 'airwallex event handled');
    return outcome;
  }
}
