// The JSON shapes of objects, in one place, so every route shows an object the same way.
import type { AccountFlow } from '../db/ledger/list-account-flows.ts';
import type { InvoiceRow } from '../db/invoices/invoice-row.ts';
import { invoicePath } from '../domain/invoices.ts';
import { formatMicros } from '../domain/money.ts';
import type { BankTransferDetails, CreditCorrection, OrderSnapshot } from '../domain/orders.ts';
import type { Quote } from '../domain/pricing.ts';
import type { PromoCode } from '../domain/promo-codes.ts';
import type { OrderRefundSummary } from '../db/refunds/refunds-of-orders.ts';
import type { RefundRow } from '../db/refunds/refund-row.ts';
import { creditNotePath } from '../domain/refunds.ts';
import { nextActionOf, type QrCodeNextAction } from './topups/next-action.ts';

export interface FlowJson {
  id: string;
  type: string;
  /** Signed: positive for money in (recharge), negative for money out (consume). */
  amount: string;
  balance_after: string;
  description: string | null;
  user: string | null;
  order_id: string | null;
  metadata: Record<string, string>;
  created_at: string;
  /** The refund of a refund or refund_reversal flow; null otherwise. */
  refund_id: string | null;
}

export function flowId(entryId: bigint): string {
  return `flow_${entryId}`;
}

export function presentFlow(flow: AccountFlow): FlowJson {
  return {
    id: flowId(flow.entryId),
    type: flow.flowType,
    amount: formatMicros(flow.amountMicros),
    balance_after: formatMicros(flow.balanceAfterMicros),
    description: flow.description,
    user: flow.userReference,
    order_id: flow.orderId,
    metadata: flow.metadata ?? {},
    created_at: flow.createdAt.toISOString(),
    refund_id: flow.refundId ?? null,
  };
}

export interface OrderJson {
  id: string;
  status: string;
  payment_method: string;
  currency: string;
  package_id: string | null;
  amount: string;
  discount: string;
  pay_amount: string;
  bonus: string;
  /** What the ledger credited: the quote's credit, or the one ops corrected it to (see credit_correction). */
  credit: string;
  /** Set when ops confirmed a bank transfer with a corrected credit: the quote's credit, what was received, and why. */
  credit_correction: { quoted_credit: string; amount_received: string; reason: string } | null;
  promo_code: string | null;
  /** Only while the order can be paid. */
  checkout_url: string | null;
  expires_at: string;
  created_at: string;
  paid_at: string | null;
  credited_at: string | null;
  receipt_url: string | null;
  needs_review: boolean;
  failure_reason: string | null;
  /** Null until the invoice is issued, shortly after the credit. */
  invoice_number: string | null;
  invoice_url: string | null;
  /** Where and how to pay a bank transfer order; null for other payment methods. */
  bank_transfer: BankTransferJson | null;
  /** What of the pay amount has been refunded (succeeded refunds), and every refund of the order. */
  refunded_amount: string;
  refunds: { id: string; status: string; amount: string }[];
  /** Alipay and WeChat Pay orders while pending: the QR code to scan (api/topups/next-action.ts); else null. */
  next_action: QrCodeNextAction | null;
}

export interface BankTransferJson {
  bank_name: string;
  account_name: string;
  account_number: string;
  reference: string;
  remitter_name: string;
  remitter_bank_name: string;
  remarks: string | null;
}

export function presentBankTransfer(details: BankTransferDetails): BankTransferJson {
  return {
    bank_name: details.bankName,
    account_name: details.accountName,
    account_number: details.accountNumber,
    reference: details.reference,
    remitter_name: details.remitterName,
    remitter_bank_name: details.remitterBankName,
    remarks: details.remarks,
  };
}

/** An order as JSON. Links are absolute when the API's public base URL is given, else relative to its root. */
export function presentOrder(order: OrderSnapshot, publicBaseUrl: string, refunds: readonly OrderRefundSummary[] = []): OrderJson {
  return {
    id: order.orderId,
    status: order.status,
    payment_method: order.terms.paymentMethod,
    currency: order.terms.currency,
    package_id: order.terms.packageId,
    amount: order.terms.amount,
    discount: order.terms.discount,
    pay_amount: order.terms.payAmount,
    bonus: order.terms.bonus,
    credit: order.creditCorrection?.correctedCredit ?? order.terms.credit,
    credit_correction: presentCreditCorrection(order.creditCorrection ?? null),
    promo_code: order.terms.promoCode,
    checkout_url: order.status === 'pending' ? order.checkoutUrl : null,
    expires_at: order.expiresAt,
    created_at: order.createdAt,
    paid_at: order.paidAt,
    credited_at: order.creditedAt,
    receipt_url: order.receiptUrl,
    needs_review: order.needsReview,
    failure_reason: order.failureReason,
    invoice_number: order.invoiceNumber ?? null,
    invoice_url: order.invoiceNumber == null ? null : `${publicBaseUrl}${invoicePath(order.orderId)}`,
    bank_transfer: order.bankTransfer == null ? null : presentBankTransfer(order.bankTransfer),
    ...presentOrderRefunds(refunds),
    next_action: nextActionOf(order, publicBaseUrl),
  };
}

function presentCreditCorrection(correction: CreditCorrection | null): OrderJson['credit_correction'] {
  if (correction === null) return null;
  return { quoted_credit: correction.quotedCredit, amount_received: correction.amountReceived, reason: correction.reason };
}

export function presentQuote(quote: Quote, promo: PromoCode | null) {
  return {
    currency: quote.currency,
    payment_method: quote.paymentMethod,
    package_id: quote.packageId,
    amount: formatMicros(quote.amountMicros),
    discount: formatMicros(quote.discountMicros),
    pay_amount: formatMicros(quote.payAmountMicros),
    bonus: formatMicros(quote.bonusMicros),
    credit: formatMicros(quote.creditMicros),
    promo: promo === null ? null : { code: promo.code, kind: promo.kind },
  };
}

export interface InvoiceJson {
  number: string;
  order_id: string;
  currency: string;
  amount: string;
  discount: string;
  pay_amount: string;
  bonus: string;
  credit: string;
  issued_at: string;
  email_status: string;
  /** Where the PDF is downloaded, with the account's API key. */
  url: string;
}

export function presentInvoice(invoice: InvoiceRow, publicBaseUrl: string): InvoiceJson {
  return {
    number: invoice.number,
    order_id: invoice.order_id,
    currency: invoice.currency,
    amount: formatMicros(invoice.amount_micros),
    discount: formatMicros(invoice.discount_micros),
    pay_amount: formatMicros(invoice.pay_amount_micros),
    bonus: formatMicros(invoice.bonus_micros),
    credit: formatMicros(invoice.credit_micros),
    issued_at: invoice.issued_at.toISOString(),
    email_status: invoice.email_status,
    url: `${publicBaseUrl}${invoicePath(invoice.order_id)}`,
  };
}

/** A refund as JSON: the customer's view; ops see the same and more (admin-refunds.ts). */
export function presentRefund(refund: RefundRow, publicBaseUrl: string) {
  return {
    id: refund.id,
    order_id: refund.order_id,
    status: refund.status,
    amount: formatMicros(refund.amount_micros),
    credit_removed: formatMicros(refund.credit_removed_micros),
    currency: refund.currency,
    reason: refund.reason,
    requested_by: refund.requested_by,
    created_at: refund.created_at.toISOString(),
    decided_at: refund.decided_at?.toISOString() ?? null,
    succeeded_at: refund.succeeded_at?.toISOString() ?? null,
    failure_reason: refund.failure_reason,
    decision_reason: refund.decision_reason,
    provider_refund_id: refund.provider_refund_id,
    credit_note_number: refund.credit_note_number,
    credit_note_url: refund.credit_note_number === null ? null : `${publicBaseUrl}${creditNotePath(refund.id)}`,
  };
}

/** What the order object says of its refunds: the amount refunded (succeeded) and each refund's id and status. */
export function presentOrderRefunds(refunds: readonly OrderRefundSummary[]) {
  const refunded = refunds.filter((refund) => refund.status === 'succeeded').reduce((sum, refund) => sum + refund.amountMicros, 0n);
  return {
    refunded_amount: formatMicros(refunded),
    refunds: refunds.map((refund) => ({ id: refund.refundId, status: refund.status, amount: formatMicros(refund.amountMicros) })),
  };
}
