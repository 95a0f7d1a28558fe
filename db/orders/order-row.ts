// The orders table's row, and its conversion to the OrderSnapshot every other layer uses.
import { formatMicros, type Currency } from '../../domain/money.ts';
import type { OrderPaymentMethod, OrderSnapshot, OrderStatus } from '../../domain/orders.ts';

export interface OrderRow {
  id: string;
  sequence: bigint;
  account_id: string;
  idempotency_key: string;
  request_hash: string;
  status: OrderStatus;
  payment_method: OrderPaymentMethod;
  currency: Currency;
  package_id: string | null;
  amount_micros: bigint;
  discount_micros: bigint;
  pay_amount_micros: bigint;
  bonus_micros: bigint;
  credit_micros: bigint;
  promo_code: string | null;
  checkout_session_id: string | null;
  checkout_url: string | null;
  expires_at: Date;
  created_at: Date;
  paid_at: Date | null;
  credited_at: Date | null;
  receipt_url: string | null;
  provider_payment_id: string | null;
  needs_review: boolean;
  review_reason: string | null;
  failure_reason: string | null;
}

export function snapshotFromRow(row: OrderRow): OrderSnapshot {
  return {
    orderId: row.id,
    accountId: row.account_id,
    status: row.status,
    terms: {
      currency: row.currency,
      paymentMethod: row.payment_method,
      packageId: row.package_id,
      amount: formatMicros(row.amount_micros),
      discount: formatMicros(row.discount_micros),
      payAmount: formatMicros(row.pay_amount_micros),
      bonus: formatMicros(row.bonus_micros),
      credit: formatMicros(row.credit_micros),
      promoCode: row.promo_code,
    },
    checkoutSessionId: row.checkout_session_id,
    checkoutUrl: row.checkout_url,
    expiresAt: row.expires_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    paidAt: row.paid_at?.toISOString() ?? null,
    creditedAt: row.credited_at?.toISOString() ?? null,
    receiptUrl: row.receipt_url,
    providerPaymentId: row.provider_payment_id,
    needsReview: row.needs_review,
    reviewReason: row.review_reason,
    failureReason: row.failure_reason,
  };
}
