// What happens to a verified Stripe event: recorded by id first, then delivered to its order's workflow.
// A payment for an order whose workflow has closed becomes a payment exception, with a workflow of its
// own that ops resolve; the closed order itself is never edited. Throws when the event can be neither
// recorded nor delivered, so the route answers 5xx and Stripe retries.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../../config/config.ts';
import type { Sql } from '../../db/client.ts';
import { getOrderRow } from '../../db/orders/get-order.ts';
import type { OrderRow } from '../../db/orders/order-row.ts';
import { admitStripeEvent } from '../../db/stripe-events/admit-stripe-event.ts';
import { markStripeEvent, type StripeEventOutcome } from '../../db/stripe-events/mark-stripe-event.ts';
import { recordStripeEvent } from '../../db/stripe-events/record-stripe-event.ts';
import { isPaymentEvent, orderWorkflowId, paymentEventSignal, type PaymentEvent } from '../../domain/orders.ts';
import type { PaymentExceptionInput } from '../../domain/payment-exceptions.ts';
import type { Logger } from '../../observability/logger.ts';
import { orderIdOfCheckoutEvent, paymentEventContentKey, paymentEventFromCheckoutEvent } from './stripe-event-format.ts';
import { handleMoneyBackEvent, isMoneyBackEvent } from './handle-refund-events.ts';
import { handleSetupSessionEvent, isSetupSessionEvent } from './handle-setup-session-event.ts';
import { handlePaymentIntentEvent, isPaymentIntentEvent } from './handle-payment-intent-event.ts';
import type { SavedCardProvider } from '../../activities/payments/saved-cards.ts';
import { startPaymentExceptionWorkflow } from './start-payment-exception.ts';
import { validateStripeEvent } from './stripe-event-schema.ts';

const signalDeadlineMilliseconds = 5_000;
/**
 * How many events that change nothing (duplicates by content, events the order ignores) one order's
 * workflow is signalled at most; later ones are recorded as ignored_duplicate. Real orders see a handful
 * of events; the cap keeps a flood far from Temporal's 51,200-event history limit.
 */
export const maximumNoOpEventsPerOrder = 50;

export interface StripeEventDependencies {
  sql: Sql;
  temporalClient: Client;
  logger: Logger;
  /** Where payment exception workflows run: the worker's task queue. */
  taskQueue: string;
  /** What refund workflows started by provider events start with; without it those events are ignored. */
  refunds?: Config['refunds'];
  /** Reads the card a setup session saved; without it setup sessions are ignored. */
  savedCards?: SavedCardProvider;
  /** maximumNoOpEventsPerOrder unless a test sets another. */
  maximumNoOpEventsPerOrder?: number;
}

/**
 * Handles a verified webhook body. Throws InvalidStripeEvent, before anything is recorded, when the body
 * lacks what Refill reads; any other error means it could not be recorded or delivered (retry).
 */
export async function handleStripeEvent(dependencies: StripeEventDependencies, body: unknown): Promise<StripeEventOutcome> {
  const { sql, logger } = dependencies;
  const event = validateStripeEvent(body);
  const orderId = event.checkout === null ? null : orderIdOfCheckoutEvent(event.checkout.session);
  const record = await recordStripeEvent(sql, { id: event.id, type: event.type, orderId, payload: event.payload });
  const context = { stripeEventId: event.id, type: event.type, orderId, redelivery: !record.firstDelivery };
  // Handled before: what it led to (a signal, an exception) is durable, so it is not done twice.
  if (record.outcome !== null) return finish(record.outcome as StripeEventOutcome);

  if (isMoneyBackEvent(event.type) && dependencies.refunds !== undefined) {
    return finish(await handleMoneyBackEvent({ ...dependencies, refunds: dependencies.refunds }, event));
  }
  if (isPaymentIntentEvent(event)) return finish(await handlePaymentIntentEvent(dependencies, event));
  if (isSetupSessionEvent(event)) {
    return finish(dependencies.savedCards === undefined ? 'ignored_type' : await handleSetupSessionEvent({ ...dependencies, savedCards: dependencies.savedCards }, event));
  }
  if (event.checkout === null) return finish('ignored_type');
  const order = orderId === null ? null : await getOrderRow(sql, orderId, null);
  if (order === null) return finish('unknown_order');

  const paymentEvent = paymentEventFromCheckoutEvent({ id: event.id, type: event.checkout.type, created: event.created, session: event.checkout.session });
  const outcome = await deliverCheckoutEvent(dependencies, order, paymentEvent, 'stripe');
  if (outcome === 'payment_exception') logger.error(context, 'payment for a closed order; recorded as a payment exception');
  return finish(outcome);

  async function finish(outcome: StripeEventOutcome): Promise<StripeEventOutcome> {
    await markStripeEvent(sql, event.id, outcome);
    logger.info({ ...context, outcome }, 'stripe event handled');
    return outcome;
  }
}

/**
 * Delivers a recorded checkout event of any provider to its order: admitted under the per-order cap,
 * signalled to the order's workflow, or, when that has closed and the event is a payment it did not
 * credit, opened as a payment exception. Throws when it can do none of these (the sender retries).
 */
export async function deliverCheckoutEvent(
  dependencies: StripeEventDependencies,
  order: OrderRow,
  paymentEvent: PaymentEvent,
  provider: PaymentExceptionInput['provider'],
): Promise<StripeEventOutcome> {
  const { sql, temporalClient } = dependencies;
  const admission = await admitStripeEvent(sql, {
    eventId: paymentEvent.eventId,
    orderId: order.id,
    contentKey: paymentEventContentKey(paymentEvent),
    ignoredByOrder: isIgnoredByOrder(order, paymentEvent),
    maximumNoOpSignals: dependencies.maximumNoOpEventsPerOrder ?? maximumNoOpEventsPerOrder,
  });
  if (admission === 'over_cap') return 'ignored_duplicate';
  try {
    // Providers wait a limited time for an answer; a Temporal that cannot take the signal by then gets a 503 instead.
    await temporalClient.withDeadline(Date.now() + signalDeadlineMilliseconds, () =>
      temporalClient.workflow.getHandle(orderWorkflowId(order.id)).signal(paymentEventSignal, paymentEvent),
    );
    return 'delivered';
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  if (!isLatePayment(order, paymentEvent)) return 'order_closed';
  await openPaymentException(dependencies, order, paymentEvent, provider);
  return 'payment_exception';
}

/**
 * Whether the order, as its row shows it, ignores the event: one for another checkout session; after
 * it closed, anything but a payment; after its credit, the payment it was credited for. The order's
 * workflow is the row's only writer and a closed order does not reopen, so this never misjudges a
 * payment the order would take.
 */
function isIgnoredByOrder(order: OrderRow, event: PaymentEvent): boolean {
  if (order.checkout_session_id !== null && event.checkoutSessionId !== order.checkout_session_id) return true;
  if (order.status === 'pending' || order.status === 'processing') return false;
  if (!isPaymentEvent(event)) return true;
  return order.status === 'succeeded' && event.providerPaymentId !== null && event.providerPaymentId === order.provider_payment_id;
}

/** A payment the closed order did not credit: any payment of an unsuccessful order, or a second one. */
function isLatePayment(order: OrderRow, event: PaymentEvent): boolean {
  if (!isPaymentEvent(event)) return false;
  if (order.checkout_session_id !== null && event.checkoutSessionId !== order.checkout_session_id) return false;
  return order.status !== 'succeeded' || (event.providerPaymentId !== null && event.providerPaymentId !== order.provider_payment_id);
}

/** Starts the exception's workflow, named by the event: a redelivery finds it started. */
async function openPaymentException(
  dependencies: StripeEventDependencies,
  order: OrderRow,
  event: PaymentEvent,
  provider: PaymentExceptionInput['provider'],
): Promise<void> {
  const input: PaymentExceptionInput = {
    eventId: event.eventId,
    orderId: order.id,
    accountId: order.account_id,
    provider,
    providerPaymentId: event.providerPaymentId,
    amountMinorUnits: event.amountTotalMinorUnits,
    currency: event.currency,
    orderStatus: order.status,
    reason: `payment event ${event.eventId} arrived after the order was ${order.status}`,
  };
  await startPaymentExceptionWorkflow(dependencies, order, input);
}
