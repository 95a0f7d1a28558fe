// Refunds and disputes as the API, the workflows and the activities all see them: their glossary,
// statuses, messages, workflow ids and the arithmetic of credit taken back. Imports nothing with side
// effects, so workflow code can import it.
//
// Glossary
// - refund: money of one order's pay amount going back to the payer, in part or whole. It removes the
//   same share of the order's credit: credit_removed = ceil(credit × amount / pay_amount) micro-units,
//   and the last refund of an order removes exactly what is left of its credit.
// - refundable: the order's pay amount less every refund of it that is not rejected or failed.
// - unconsumed credit: what the account's balance holds; a refund Refill starts must be covered by it.
// - consumed since payment: the account's consume flows since the order was credited, capped by the
//   order's credit (the account may have spent older credit, but never more of this order than it had).
// - dashboard refund: a refund made at the provider without Refill; its credit is taken back down to what
//   the balance holds, and the rest is recorded as the account's debt.
// - dispute: a chargeback the payer opened with their bank. The account is restricted while it is open;
//   the disputed share of the credit is taken back (balance to zero at most, the rest as debt); won, it
//   is given back; lost, it stays taken back.
// - debt: what a dispute or a dashboard refund took back beyond what the balance held; its own ledger
//   account per customer (a receivable), so the balance itself never goes below zero.
// - credit note: the numbered, immutable document of a succeeded refund (CN-2026-000001), referring to
//   the order's invoice.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Currency } from './money.ts';
import type { OrderPaymentMethod } from './orders.ts';

export const refundStatuses = ['requested', 'approved', 'rejected', 'processing', 'succeeded', 'failed'] as const;
export type RefundStatus = (typeof refundStatuses)[number];
export const refundOrigins = ['customer', 'ops', 'provider'] as const;
export type RefundOrigin = (typeof refundOrigins)[number];
export const disputeStatuses = ['open', 'won', 'lost'] as const;
export type DisputeStatus = (typeof disputeStatuses)[number];

/** A refund as its workflow holds it; money as six-decimal strings (payloads are JSON). */
export interface RefundSnapshot {
  refundId: string;
  orderId: string;
  accountId: string;
  customerEmail: string;
  paymentMethod: OrderPaymentMethod;
  /** The payment at the provider (a Stripe payment intent), or null for a bank transfer. */
  providerPaymentId: string | null;
  requestedBy: RefundOrigin;
  status: RefundStatus;
  currency: Currency;
  amount: string;
  creditRemoved: string;
  reason: string;
  decidedBy: string | null;
  decisionReason: string | null;
  decidedAt: string | null;
  providerRefundId: string | null;
  bankReference: string | null;
  transferId: string | null;
  reversalTransferId: string | null;
  debt: string;
  failureReason: string | null;
  succeededAt: string | null;
  creditNoteNumber: string | null;
}

/** What the refund workflow starts from: the recorded row, and the deadlines of its waits. */
export interface RefundWorkflowInput {
  refund: RefundSnapshot;
  /** How long ops have to confirm a bank transfer payout, and when they are reminded. */
  payoutDeadlineMilliseconds: number;
  payoutReminderMilliseconds: number;
}

export interface RefundDecisionRequest {
  decision: 'approve' | 'reject';
  reason: string;
  actor: string;
}

export interface ConfirmPayoutRequest {
  bankReference: string;
  actor: string;
}

/** What the provider says of a refund, from a webhook event or a poll. */
export interface ProviderRefundOutcome {
  /** The event that said it, or null for a poll. */
  eventId: string | null;
  providerRefundId: string;
  status: 'pending' | 'succeeded' | 'failed' | 'canceled' | 'requires_action';
  failureReason: string | null;
}

export const decideRefundUpdate = defineUpdate<RefundSnapshot, [RefundDecisionRequest]>('decideRefund');
export const confirmPayoutUpdate = defineUpdate<RefundSnapshot, [ConfirmPayoutRequest]>('confirmPayout');
export const providerRefundSignal = defineSignal<[ProviderRefundOutcome]>('providerRefund');
export const refundStateQuery = defineQuery<RefundSnapshot>('refundState');

export function refundWorkflowId(refundId: string): string {
  return `refund-${refundId}`;
}

/** The ledger idempotency keys of a refund's take-back and of its reversal: once each per refund. */
export function refundTransferKey(refundId: string): string {
  return `refund:${refundId}`;
}
export function refundReversalTransferKey(refundId: string): string {
  return `refund-reversal:${refundId}`;
}

/** The provider's idempotency key of the refund Refill asks for. */
export function providerRefundIdempotencyKey(refundId: string): string {
  return `refund-${refundId}`;
}

/** A dispute event as the webhook hands it to the dispute's workflow. */
export interface DisputeEvent {
  eventId: string;
  kind: 'created' | 'closed';
  disputeId: string;
  /** The provider's status: needs_response, won, lost, … */
  status: string;
  amountMicros: string;
  providerReason: string | null;
}

export interface DisputeWorkflowInput {
  disputeId: string;
  orderId: string;
  accountId: string;
  currency: Currency;
}

export const disputeEventSignal = defineSignal<[DisputeEvent]>('disputeEvent');

export function disputeWorkflowId(disputeId: string): string {
  return `dispute-${disputeId}`;
}
export function disputeTransferKey(disputeId: string): string {
  return `dispute:${disputeId}`;
}
export function disputeReversalTransferKey(disputeId: string): string {
  return `dispute-reversal:${disputeId}`;
}
export function disputeRestrictionId(disputeId: string): string {
  return `dispute:${disputeId}`;
}

/** Where the owner of a refund downloads its credit note, relative to the API's public base URL. */
export function creditNotePath(refundId: string): string {
  return `/v1/refunds/${refundId}/credit-note`;
}

/**
 * The credit a refund of `amountMicros` takes back: the same share of the order's credit, rounded up,
 * and never more than is left of it; the refund of all that is left takes all the credit that is left.
 */
export function creditRemovedFor(input: {
  creditMicros: bigint;
  payAmountMicros: bigint;
  amountMicros: bigint;
  refundableMicros: bigint;
  creditLeftMicros: bigint;
}): bigint {
  if (input.amountMicros >= input.refundableMicros) return input.creditLeftMicros;
  const share = (input.creditMicros * input.amountMicros + input.payAmountMicros - 1n) / input.payAmountMicros;
  return share < input.creditLeftMicros ? share : input.creditLeftMicros;
}

/** The largest refund, in whole minor units, whose credit removed the balance covers. */
export function largestCoveredAmount(input: {
  creditMicros: bigint;
  payAmountMicros: bigint;
  balanceMicros: bigint;
  refundableMicros: bigint;
  microsPerMinorUnit: bigint;
}): bigint {
  const covered = (input.balanceMicros * input.payAmountMicros) / input.creditMicros;
  const whole = covered - (covered % input.microsPerMinorUnit);
  return whole < input.refundableMicros ? whole : input.refundableMicros;
}

/** The refund policy (config/config.ts: REFUND_*). */
export interface RefundPolicy {
  windowDays: number;
  autoApprovalHours: number;
  /** Basis points of the order's credit consumed since payment: 1000 is 10%. */
  autoApprovalMaximumConsumedBasisPoints: number;
}

/** Whether a customer's request is approved without ops: soon enough after payment, little enough spent. */
export function isAutoApproved(policy: RefundPolicy, input: { paidAtMilliseconds: number; nowMilliseconds: number; consumedMicros: bigint; creditMicros: bigint }): boolean {
  if (input.nowMilliseconds - input.paidAtMilliseconds > policy.autoApprovalHours * 3_600_000) return false;
  return input.consumedMicros * 10_000n <= input.creditMicros * BigInt(policy.autoApprovalMaximumConsumedBasisPoints);
}

/** Whether a customer may still ask: within the window after payment. */
export function isWithinRefundWindow(policy: RefundPolicy, paidAtMilliseconds: number, nowMilliseconds: number): boolean {
  return nowMilliseconds - paidAtMilliseconds <= policy.windowDays * 86_400_000;
}
