// A payment intent's event for an auto-recharge charge (payment_intent.succeeded, .payment_failed,
// .requires_action, with the attempt in its metadata): passed on to the account's workflow, which
// applies each event id once and only to the intent in flight. Events of other intents are ignored.
// A workflow that has closed already settled the charge (from the provider's answer or its poll).
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { StripeEventOutcome } from '../../db/stripe-events/mark-stripe-event.ts';
import { autoRechargeWorkflowId, paymentIntentSignal, type PaymentIntentEvent } from '../../domain/auto-recharge.ts';
import type { ValidStripeEvent } from './stripe-event-schema.ts';

const signalDeadlineMilliseconds = 5_000;
const outcomes: Record<string, PaymentIntentEvent['outcome']> = {
  'payment_intent.succeeded': 'succeeded',
  'payment_intent.payment_failed': 'failed',
  'payment_intent.requires_action': 'requires_action',
};

const intentSchema = z.object({
  id: z.string().regex(/^pi_[A-Za-z0-9_]{1,250}$/),
  metadata: z.looseObject({ auto_recharge_attempt_id: z.string().optional(), account_id: z.string().optional() }).nullish(),
  last_payment_error: z.looseObject({ decline_code: z.string().max(100).nullish(), code: z.string().max(100).nullish() }).nullish(),
});

/** Whether the event is a payment intent outcome Refill acts on. */
export function isPaymentIntentEvent(event: ValidStripeEvent): boolean {
  return Object.hasOwn(outcomes, event.type);
}

export async function handlePaymentIntentEvent(dependencies: { temporalClient: Client }, event: ValidStripeEvent): Promise<StripeEventOutcome> {
  const parsed = intentSchema.safeParse((event.payload as { data?: { object?: unknown } }).data?.object);
  // Recorded already: a shape Refill cannot read is ignored (and kept for ops), never retried for days.
  if (!parsed.success) return 'ignored_type';
  const intent = parsed.data;
  const accountId = intent.metadata?.account_id;
  if (intent.metadata?.auto_recharge_attempt_id === undefined || accountId === undefined || !/^acct_[0-9a-z]{24}$/.test(accountId)) return 'ignored_type';
  const signalled: PaymentIntentEvent = {
    eventId: event.id,
    paymentIntentId: intent.id,
    outcome: outcomes[event.type]!,
    declineCode: intent.last_payment_error?.decline_code ?? intent.last_payment_error?.code ?? null,
  };
  const client = dependencies.temporalClient;
  try {
    await client.withDeadline(Date.now() + signalDeadlineMilliseconds, () => client.workflow.getHandle(autoRechargeWorkflowId(accountId)).signal(paymentIntentSignal, signalled));
    return 'delivered';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'order_closed';
    throw error;
  }
}
