// The payment_exceptions table's row, and its conversion to the snapshot the workflow and ops see.
import type { PaymentExceptionDecision, PaymentExceptionSnapshot, PaymentExceptionStatus } from '../../domain/payment-exceptions.ts';
import type { OrderStatus } from '../../domain/orders.ts';

export interface PaymentExceptionRow {
  id: string;
  sequence: bigint;
  event_id: string;
  provider: 'stripe';
  provider_payment_id: string | null;
  order_id: string;
  account_id: string;
  amount_minor_units: bigint | null;
  currency: string | null;
  order_status: OrderStatus;
  reason: string;
  status: PaymentExceptionStatus;
  decision: PaymentExceptionDecision | null;
  decision_reason: string | null;
  decided_by: string | null;
  decided_at: Date | null;
  transfer_id: bigint | null;
  refund_id: string | null;
  created_at: Date;
}

export function paymentExceptionFromRow(row: PaymentExceptionRow): PaymentExceptionSnapshot {
  return {
    id: row.id,
    orderId: row.order_id,
    accountId: row.account_id,
    eventId: row.event_id,
    providerPaymentId: row.provider_payment_id,
    status: row.status,
    reason: row.reason,
    decision: row.decision,
    decisionReason: row.decision_reason,
    decidedBy: row.decided_by,
    transferId: row.transfer_id === null ? null : row.transfer_id.toString(),
    refundId: row.refund_id,
  };
}
