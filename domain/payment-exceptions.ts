// Payment exceptions: money that reached Refill for an order whose workflow had already closed without
// crediting it (a payment after expiry or cancellation, a second payment of a credited order). Each is a
// record of its own, never an edit of the closed order; ops decide what becomes of it. Imports nothing
// with side effects, so workflow code can import it.
//
// Glossary
// - payment exception: one such payment, recorded once per provider event id (and once per payment).
// - decision: credit (the order's locked quote is credited, once), refund (the provider gives the money
//   back), or dismiss (nothing more is done, for example when it was refunded by hand at the provider).
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { OrderStatus } from './orders.ts';

export const paymentExceptionStatuses = ['open', 'resolved'] as const;
export type PaymentExceptionStatus = (typeof paymentExceptionStatuses)[number];

export const paymentExceptionDecisions = ['credit', 'refund', 'dismiss'] as const;
export type PaymentExceptionDecision = (typeof paymentExceptionDecisions)[number];

/** What the exception's workflow is started with: the payment as the provider reported it. */
export interface PaymentExceptionInput {
  /** The provider's event id that reported the payment: the exception's identity. */
  eventId: string;
  orderId: string;
  accountId: string;
  provider: 'stripe' | 'airwallex';
  providerPaymentId: string | null;
  /** Minor units and lower-case currency, as the provider reported them. */
  amountMinorUnits: string | null;
  currency: string | null;
  /** The order's status when the payment arrived. */
  orderStatus: OrderStatus;
  reason: string;
}

export interface ResolvePaymentExceptionRequest {
  decision: PaymentExceptionDecision;
  reason: string;
  /** The operator, from the admin credentials. */
  actor: string;
}

/** The exception as ops see it. Money fields are six-decimal strings or null. */
export interface PaymentExceptionSnapshot {
  id: string;
  orderId: string;
  accountId: string;
  eventId: string;
  providerPaymentId: string | null;
  status: PaymentExceptionStatus;
  reason: string;
  decision: PaymentExceptionDecision | null;
  decisionReason: string | null;
  decidedBy: string | null;
  /** Ledger transfer of a credit, or the provider's refund id. */
  transferId: string | null;
  refundId: string | null;
}

/** The exception's id (and, with a prefix, its workflow's): derived from the event, so a retry finds it. */
export function paymentExceptionIdFor(eventId: string): string {
  // Airwallex's recorded ids (awx_…) may carry hyphens, which exception ids do not.
  return `pex_${eventId.replace(/^evt_/, '').replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** The workflow of the exception an event opens. */
export function paymentExceptionWorkflowId(eventId: string): string {
  return workflowIdOfPaymentException(paymentExceptionIdFor(eventId));
}

export function workflowIdOfPaymentException(exceptionId: string): string {
  return `payment-exception-${exceptionId}`;
}

export const resolvePaymentExceptionUpdate = defineUpdate<PaymentExceptionSnapshot, [ResolvePaymentExceptionRequest]>(
  'resolvePaymentException',
);
export const paymentExceptionQuery = defineQuery<PaymentExceptionSnapshot | null>('paymentException');
