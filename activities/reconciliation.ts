// Reconciliation's activities: which orders to ask about, and asking the provider about one and
// delivering what it says through the webhook route's own handling (api/webhooks/handle-stripe-event.ts),
// so a reconciled payment is recorded, de-duplicated and, for a closed workflow, turned into a payment
// exception exactly as a webhook would be. Writes nothing of its own: the event's row belongs to that
// handling, the order's to its workflow.
import type { Client } from '@temporalio/client';
import { handleStripeEvent } from '../api/webhooks/handle-stripe-event.ts';
import { buildCheckoutEvent } from '../api/webhooks/stripe-event-format.ts';
import { maximumStripeIdLength } from '../api/webhooks/stripe-event-schema.ts';
import { getOrderRow } from '../db/orders/get-order.ts';
import { listOrdersToReconcile } from '../db/orders/list-orders-to-reconcile.ts';
import { getStripeEventOutcome } from '../db/stripe-events/get-stripe-event-outcome.ts';
import { failure } from '../domain/failures.ts';
import type { ReconcileOrderOutcome, ReconciliationInput } from '../domain/reconciliation.ts';
import type { ActivityDependencies } from './index.ts';
import { PermanentProviderError, type RetrievedPayment } from './payments/provider.ts';

/** What reconciliation needs beyond every activity's dependencies: the client that signals order workflows. */
export interface ReconciliationDependencies {
  temporalClient: Client;
  /** Where payment exception workflows start: the order worker's task queue. */
  taskQueue: string;
}

/** One event per session and payment: asking again about the same payment names the same event. */
function reconciliationEventId(sessionId: string, payment: RetrievedPayment): string {
  const name = `evt_reconciliation_${sessionId}_${payment.reference ?? 'none'}`.replace(/[^A-Za-z0-9_]/g, '_');
  return name.slice(0, maximumStripeIdLength);
}

export function createReconciliationActivities(dependencies: ActivityDependencies) {
  const { sql, paymentProvider, logger } = dependencies;

  function reconciliation(): ReconciliationDependencies {
    if (dependencies.reconciliation === undefined) throw failure('reconciliation_not_configured', 'this worker was built without a Temporal client for reconciliation');
    return dependencies.reconciliation;
  }

  return {
    /** The orders a reconciliation run asks about, oldest first. */
    async findOrdersToReconcile(input: ReconciliationInput): Promise<string[]> {
      return listOrdersToReconcile(sql, {
        pendingAge_seconds: input.pendingAgeSeconds,
        processingAge_seconds: input.processingAgeSeconds,
        limit: input.limit,
      });
    },

    /** Asks the provider about one order; a payment it reports goes to the order as a checkout event. */
    async reconcileOrder(orderId: string): Promise<ReconcileOrderOutcome> {
      const order = await getOrderRow(sql, orderId, null);
      if (order === null || order.checkout_session_id === null || paymentProvider.retrieveCheckoutPayment === undefined) return 'not_asked';
      const sessionId = order.checkout_session_id;
      let payment: RetrievedPayment;
      try {
        payment = await paymentProvider.retrieveCheckoutPayment({ orderId, checkoutSessionId: sessionId });
      } catch (error) {
        logger.warn({ orderId, provider: paymentProvider.name, err: error }, 'reconciliation: payment provider call failed');
        if (error instanceof PermanentProviderError) throw failure('provider_rejected', error.message, error);
        throw error;
      }
      if (payment.status !== 'paid') return 'not_paid';
      const event = buildCheckoutEvent(
        'checkout.session.completed',
        {
          sessionId,
          orderId,
          accountId: order.account_id,
          status: 'complete',
          paymentStatus: 'paid',
          amountTotal: payment.amountMinorUnits === null ? null : Number(payment.amountMinorUnits),
          currency: payment.currency,
          paymentIntentId: payment.reference,
        },
        { eventId: reconciliationEventId(sessionId, payment) },
      );
      // Asked before, and handled: what it led to stands (handleStripeEvent would answer the same).
      if ((await getStripeEventOutcome(sql, event.id)) !== null) return 'already_known';
      const { temporalClient, taskQueue } = reconciliation();
      const outcome = await handleStripeEvent({ sql, temporalClient, logger, taskQueue }, event);
      logger.info({ orderId, outcome, stripeEventId: event.id }, 'reconciliation: payment found at the provider');
      if (outcome === 'delivered' || outcome === 'payment_exception') return outcome;
      return 'already_known';
    },
  };
}
