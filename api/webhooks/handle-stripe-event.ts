// What happens to a verified Stripe event: recorded by id first, then delivered to its order's workflow.
// Throws when it can be neither recorded nor delivered, so the route answers 5xx and Stripe retries.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type Stripe from 'stripe';
import type { Sql } from '../../db/client.ts';
import { flagOrderForReview } from '../../db/orders/flag-order-for-review.ts';
import { getOrderRow } from '../../db/orders/get-order.ts';
import { markStripeEvent, type StripeEventOutcome } from '../../db/stripe-events/mark-stripe-event.ts';
import { recordStripeEvent } from '../../db/stripe-events/record-stripe-event.ts';
import { orderWorkflowId, paymentEventSignal } from '../../domain/orders.ts';
import type { Logger } from '../../observability/logger.ts';
import {
  checkoutEventTypes,
  orderIdOfCheckoutEvent,
  paymentEventFromCheckoutEvent,
  type CheckoutEventType,
} from './stripe-event-format.ts';

const signalDeadlineMilliseconds = 5_000;

export interface StripeEventDependencies {
  sql: Sql;
  temporalClient: Client;
  logger: Logger;
}

function isCheckoutEventType(type: string): type is CheckoutEventType {
  return (checkoutEventTypes as readonly string[]).includes(type);
}

export async function handleStripeEvent(dependencies: StripeEventDependencies, event: Stripe.Event): Promise<StripeEventOutcome> {
  const { sql, temporalClient, logger } = dependencies;
  const session = event.data.object as unknown as Record<string, unknown>;
  const relevant = isCheckoutEventType(event.type);
  const orderId = relevant ? orderIdOfCheckoutEvent(session) : null;
  const record = await recordStripeEvent(sql, { id: event.id, type: event.type, orderId, payload: event });
  const context = { stripeEventId: event.id, type: event.type, orderId, redelivery: !record.firstDelivery };

  if (!isCheckoutEventType(event.type)) return finish('ignored_type');
  const order = orderId === null ? null : await getOrderRow(sql, orderId, null);
  if (order === null) return finish('unknown_order');

  const paymentEvent = paymentEventFromCheckoutEvent({
    id: event.id,
    type: event.type,
    created: event.created,
    data: { object: session },
  });
  try {
    // Stripe waits a limited time for an answer; a Temporal that cannot take the signal by then gets a 503 instead.
    await temporalClient.withDeadline(Date.now() + signalDeadlineMilliseconds, () =>
      temporalClient.workflow.getHandle(orderWorkflowId(order.id)).signal(paymentEventSignal, paymentEvent),
    );
    return finish('delivered');
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  // The workflow has finished. A payment for an order that did not succeed must not be lost: a person looks.
  const isPayment =
    (event.type === 'checkout.session.completed' && paymentEvent.paymentStatus === 'paid') ||
    event.type === 'checkout.session.async_payment_succeeded';
  if (isPayment && order.status !== 'succeeded') {
    await flagOrderForReview(sql, order.id, `payment event ${event.id} arrived after the order was ${order.status}`);
    logger.error(context, 'payment for a closed order; flagged for review');
    return finish('flagged_for_review');
  }
  return finish('order_closed');

  async function finish(outcome: StripeEventOutcome): Promise<StripeEventOutcome> {
    await markStripeEvent(sql, event.id, outcome);
    logger.info({ ...context, outcome }, 'stripe event handled');
    return outcome;
  }
}
