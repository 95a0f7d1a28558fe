// Provider events about money going back: refunds (Refill's own, and those made in the provider's
// dashboard) and disputes. Each event is recorded by its id first (handle-stripe-event.ts), so this runs
// once per event; what it leads to is keyed by the provider's own ids (the refund, the dispute), so two
// events of one refund or dispute, in any order, lead to one refund or one dispute.
//   - a refund of Refill's (metadata refund_id, or a provider refund id it recorded): signalled to its workflow;
//   - any other refund: recorded as a refund by the provider (once per provider refund id) and its credit
//     taken back by its own workflow;
//   - a dispute: signalled to its workflow (dispute-<dispute id>), started by the first event that arrives.
// A payment Refill does not know is recorded and ignored (outcome unknown_order): never an error.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import type { Config } from '../../config/config.ts';
import { getDispute } from '../../db/disputes/get-dispute.ts';
import { getRefundRow } from '../../db/refunds/get-refund.ts';
import { recordProviderRefund } from '../../db/refunds/record-provider-refund.ts';
import type { StripeEventOutcome } from '../../db/stripe-events/mark-stripe-event.ts';
import { formatMicros, isCurrency, minorUnitsToMicros } from '../../domain/money.ts';
import {
  disputeEventSignal,
  disputeWorkflowId,
  providerRefundSignal,
  refundWorkflowId,
  type DisputeEvent,
  type DisputeWorkflowInput,
  type ProviderRefundOutcome,
} from '../../domain/refunds.ts';
import { accountIdKey, disputeStatusKey, orderIdKey } from '../../domain/search-attributes.ts';
import { startRefundWorkflow } from '../refunds/refund-workflow-calls.ts';
import type { StripeEventDependencies } from './handle-stripe-event.ts';
import { InvalidStripeEvent, type ValidStripeEvent } from './stripe-event-schema.ts';

export const moneyBackEventTypes = ['refund.created', 'refund.updated', 'charge.refunded', 'charge.dispute.created', 'charge.dispute.closed'] as const;

export function isMoneyBackEvent(type: string): boolean {
  return (moneyBackEventTypes as readonly string[]).includes(type);
}

const identifier = z.string().min(1).max(255);
const expandable = z.union([identifier, z.looseObject({ id: identifier })]).nullish();
const refundObject = z.looseObject({
  id: identifier,
  amount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  currency: z.string().max(16),
  status: z.string().max(64).nullish(),
  payment_intent: expandable,
  metadata: z.looseObject({ refund_id: z.string().max(255).optional(), payment_exception: z.string().max(255).optional() }).nullish(),
  failure_reason: z.string().max(255).nullish(),
});
const chargeObject = z.looseObject({ id: identifier, payment_intent: expandable, refunds: z.looseObject({ data: z.array(refundObject).max(100) }).nullish() });
const disputeObject = z.looseObject({
  id: identifier,
  amount: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  currency: z.string().max(16),
  status: z.string().max(64),
  reason: z.string().max(200).nullish(),
  payment_intent: expandable,
});

type RefundObject = z.infer<typeof refundObject>;

/** Dependencies of these events: the webhook's, and the refund settings the refund workflows start with. */
export interface MoneyBackDependencies extends StripeEventDependencies {
  refunds: Config['refunds'];
}

function parsed<Schema extends z.ZodType>(schema: Schema, event: ValidStripeEvent): z.output<Schema> {
  const result = schema.safeParse((event.payload as { data: { object: unknown } }).data.object);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new InvalidStripeEvent(['data', 'object', ...issue.path.map(String)].join('.'), `is invalid (${issue.message})`);
}

const idOf = (value: z.infer<typeof expandable>) => (value === null || value === undefined ? null : typeof value === 'string' ? value : value.id);

/** Handles one verified, recorded money-back event; returns what became of it. */
export async function handleMoneyBackEvent(dependencies: MoneyBackDependencies, event: ValidStripeEvent): Promise<StripeEventOutcome> {
  if (event.type === 'charge.dispute.created' || event.type === 'charge.dispute.closed') return handleDispute(dependencies, event);
  const refunds = event.type === 'charge.refunded' ? chargeRefunds(parsed(chargeObject, event)) : [parsed(refundObject, event)];
  const outcomes: StripeEventOutcome[] = [];
  for (const refund of refunds) outcomes.push(await handleRefund(dependencies, event, refund));
  return outcomes.find((outcome) => outcome !== 'unknown_order' && outcome !== 'ignored_type') ?? outcomes[0] ?? 'ignored_type';
}

/** The refunds a charge.refunded lists; without the list (newer API versions), its refund.* events carry them. */
function chargeRefunds(charge: z.infer<typeof chargeObject>): RefundObject[] {
  return (charge.refunds?.data ?? []).map((refund) => ({ ...refund, payment_intent: refund.payment_intent ?? charge.payment_intent }));
}

async function handleRefund(dependencies: MoneyBackDependencies, event: ValidStripeEvent, refund: RefundObject): Promise<StripeEventOutcome> {
  const { sql, temporalClient } = dependencies;
  const currency = refund.currency.toUpperCase();
  const ours = await refundOfOurs(dependencies, refund);
  if (ours !== null) {
    const outcome: ProviderRefundOutcome = {
      eventId: event.id,
      providerRefundId: refund.id,
      status: (['pending', 'succeeded', 'failed', 'canceled', 'requires_action'].includes(refund.status ?? '') ? refund.status : 'pending') as ProviderRefundOutcome['status'],
      failureReason: refund.failure_reason ?? null,
    };
    try {
      await temporalClient.workflow.getHandle(refundWorkflowId(ours)).signal(providerRefundSignal, outcome);
      return 'refund_delivered';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return 'refund_closed';
      throw error;
    }
  }
  // A payment exception's refund (activities/payments.ts) is of a payment no order was credited for.
  if (refund.metadata?.payment_exception !== undefined) return 'ignored_type';
  const paymentId = idOf(refund.payment_intent);
  if (!isCurrency(currency) || paymentId === null || refund.amount === 0) return 'unknown_order';
  // A refund the provider failed or cancelled moved no money: there is no credit to take back.
  if (refund.status === 'failed' || refund.status === 'canceled') return 'ignored_type';
  const recorded = await recordProviderRefund(sql, {
    providerRefundId: refund.id,
    providerPaymentId: paymentId,
    amountMicros: minorUnitsToMicros(refund.amount, currency),
    reason: 'refunded at the payment provider',
  });
  if (recorded.outcome === 'unknown_order') return 'unknown_order';
  await startRefundWorkflow(temporalClient, dependencies.taskQueue, dependencies.refunds, recorded.refund);
  return 'refund_recorded';
}

/** The id of Refill's refund the provider's refund is, or null for a refund Refill did not ask for. */
async function refundOfOurs(dependencies: MoneyBackDependencies, refund: RefundObject): Promise<string | null> {
  const named = refund.metadata?.refund_id;
  if (named !== undefined && /^rfd_[0-9a-z]{24}$/.test(named) && (await getRefundRow(dependencies.sql, named, null)) !== null) return named;
  const [row] = await dependencies.sql<{ id: string; requested_by: string }[]>`select id, requested_by from refunds where provider_refund_id = ${refund.id}`;
  return row !== undefined && row.requested_by !== 'provider' ? row.id : null;
}

async function handleDispute(dependencies: MoneyBackDependencies, event: ValidStripeEvent): Promise<StripeEventOutcome> {
  const { sql, temporalClient } = dependencies;
  const dispute = parsed(disputeObject, event);
  const currency = dispute.currency.toUpperCase();
  const paymentId = idOf(dispute.payment_intent);
  if (!isCurrency(currency) || paymentId === null) return 'unknown_order';
  const recorded = await getDispute(sql, dispute.id);
  if (recorded !== null && recorded.status !== 'open') return 'dispute_closed';
  const [order] = await sql<{ id: string; account_id: string }[]>`
    select id, account_id from orders where provider_payment_id = ${paymentId} and status = 'succeeded'`;
  if (order === undefined) return 'unknown_order';
  const input: DisputeWorkflowInput = { disputeId: dispute.id, orderId: order.id, accountId: order.account_id, currency };
  const signal: DisputeEvent = {
    eventId: event.id,
    kind: event.type === 'charge.dispute.created' ? 'created' : 'closed',
    disputeId: dispute.id,
    status: dispute.status,
    amountMicros: formatMicros(minorUnitsToMicros(dispute.amount, currency)),
    providerReason: dispute.reason ?? null,
  };
  try {
    await temporalClient.workflow.signalWithStart('disputeWorkflow', {
      workflowId: disputeWorkflowId(dispute.id),
      taskQueue: dependencies.taskQueue,
      args: [input],
      signal: disputeEventSignal,
      signalArgs: [signal],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: disputeStatusKey, value: 'open' },
        { key: accountIdKey, value: order.account_id },
        { key: orderIdKey, value: order.id },
      ],
    });
    return 'dispute_delivered';
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return 'dispute_closed';
    throw error;
  }
}
