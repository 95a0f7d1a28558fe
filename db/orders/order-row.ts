// The orders table's row, and its conversion to the OrderSnapshot every other layer uses.
import { formatMicros, type Currency } from '../../domain/money.ts';
import type { BankTransferDetails, CreditCorrection, OrderPaymentMethod, OrderSnapshot, OrderStatus } from '../../domain/orders.ts';

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
  /** Bank transfer orders only (migration 0004); null on every other order. */
  transfer_reference: string | null;
  payee_bank_name: string | null;
  payee_account_name: string | null;
  payee_account_number: string | null;
  remitter_name: string | null;
  remitter_bank_name: string | null;
  remitter_remarks: string | null;
  /** The issued invoice's number, where the query joins it (get and list); absent elsewhere. */
  invoice_number?: string | null;
  /** The metadata of the order's recharge transfer when ops corrected its credit, where the query joins it. */
  credit_correction?: Record<string, string> | null;
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
    bankTransfer: bankTransferFromRow(row),
    invoiceNumber: row.invoice_number ?? null,
    creditCorrection: creditCorrectionFromMetadata(row.credit_correction ?? null),
  };
}

/** The correction recorded with a recharge transfer (activities/orders.ts writes these keys), or null. */
export function creditCorrectionFromMetadata(metadata: Record<string, string> | null): CreditCorrection | null {
  if (metadata === null || typeof metadata.corrected_credit !== 'string') return null;
  return {
    amountReceived: metadata.amount_received ?? '',
    quotedCredit: metadata.quoted_credit ?? '',
    correctedCredit: metadata.corrected_credit,
    reason: metadata.correction_reason ?? '',
  };
}

/** The bank transfer details of an order row; the table's check constraint makes them all or nothing. */
export function bankTransferFromRow(row: OrderRow): BankTransferDetails | null {
  if (row.transfer_reference === null) return null;
  return {
    bankName: row.payee_bank_name!,
    accountName: row.payee_account_name!,
    accountNumber: row.payee_account_number!,
    reference: row.transfer_reference,
    remitterName: row.remitter_name!,
    remitterBankName: row.remitter_bank_name!,
    remarks: row.remitter_remarks,
  };
}
