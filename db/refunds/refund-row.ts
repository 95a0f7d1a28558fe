// The refunds table's row (migration 0011), and its conversion to the RefundSnapshot the workflow holds.
import { formatMicros, type Currency } from '../../domain/money.ts';
import type { OrderPaymentMethod } from '../../domain/orders.ts';
import type { RefundOrigin, RefundSnapshot, RefundStatus } from '../../domain/refunds.ts';

export interface RefundRow {
  id: string;
  sequence: bigint;
  order_id: string;
  account_id: string;
  requested_by: RefundOrigin;
  requested_by_operator: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  status: RefundStatus;
  currency: Currency;
  amount_micros: bigint;
  credit_removed_micros: bigint;
  reason: string;
  decided_by: string | null;
  decision_reason: string | null;
  decided_at: Date | null;
  provider_refund_id: string | null;
  bank_reference: string | null;
  transfer_id: bigint | null;
  reversal_transfer_id: bigint | null;
  debt_micros: bigint;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
  succeeded_at: Date | null;
  /** Joined by the queries that read a refund whole (refundSelect). */
  customer_email: string;
  payment_method: OrderPaymentMethod;
  provider_payment_id: string | null;
  credit_note_number: string | null;
}

export function refundSnapshotFromRow(row: RefundRow): RefundSnapshot {
  return {
    refundId: row.id,
    orderId: row.order_id,
    accountId: row.account_id,
    customerEmail: row.customer_email,
    paymentMethod: row.payment_method,
    providerPaymentId: row.provider_payment_id,
    requestedBy: row.requested_by,
    status: row.status,
    currency: row.currency,
    amount: formatMicros(row.amount_micros),
    creditRemoved: formatMicros(row.credit_removed_micros),
    reason: row.reason,
    decidedBy: row.decided_by,
    decisionReason: row.decision_reason,
    decidedAt: row.decided_at?.toISOString() ?? null,
    providerRefundId: row.provider_refund_id,
    bankReference: row.bank_reference,
    transferId: row.transfer_id?.toString() ?? null,
    reversalTransferId: row.reversal_transfer_id?.toString() ?? null,
    debt: formatMicros(row.debt_micros),
    failureReason: row.failure_reason,
    succeededAt: row.succeeded_at?.toISOString() ?? null,
    creditNoteNumber: row.credit_note_number,
  };
}
