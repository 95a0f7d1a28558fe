// The invoices table's row, as the queries in this folder read it.
import type { Currency } from '../../domain/money.ts';
import type { InvoiceEmailStatus } from '../../domain/invoices.ts';
import type { OrderPaymentMethod } from '../../domain/orders.ts';

/** Every column but the PDF itself, which only the queries that serve or send it read. */
export interface InvoiceRow {
  id: bigint;
  number: string;
  issuer: string;
  year: number;
  sequence_number: bigint;
  order_id: string;
  account_id: string;
  issued_at: Date;
  issuer_name: string;
  issuer_address: string;
  issuer_tax_id: string;
  customer_email: string;
  currency: Currency;
  amount_micros: bigint;
  discount_micros: bigint;
  pay_amount_micros: bigint;
  bonus_micros: bigint;
  credit_micros: bigint;
  payment_method: OrderPaymentMethod;
  provider_payment_id: string | null;
  pdf_sha256: Buffer | null;
  email_status: InvoiceEmailStatus;
  email_message_id: string | null;
  email_sent_at: Date | null;
  email_failure: string | null;
  email_updated_at: Date | null;
  /** The activity attempt that recorded 'sending' (migration 0009). */
  email_send_attempt: number | null;
  /** Migration 0013: what the invoice shows besides the amounts; null on invoices issued before it. */
  promo_code: string | null;
  transfer_reference: string | null;
  remitter_name: string | null;
  remitter_bank_name: string | null;
  /** Set only when ops confirmed the order with a corrected credit: the quote's figures, and why. */
  quoted_pay_amount_micros: bigint | null;
  quoted_credit_micros: bigint | null;
  credit_correction_reason: string | null;
}

/** The columns of InvoiceRow, for `select ${sql(invoiceColumns)}`: every column but the PDF's bytes. */
export const invoiceColumns = [
  'id', 'number', 'issuer', 'year', 'sequence_number', 'order_id', 'account_id', 'issued_at', 'issuer_name',
  'issuer_address', 'issuer_tax_id', 'customer_email', 'currency', 'amount_micros', 'discount_micros',
  'pay_amount_micros', 'bonus_micros', 'credit_micros', 'payment_method', 'provider_payment_id', 'pdf_sha256',
  'email_status', 'email_message_id', 'email_sent_at', 'email_failure', 'email_updated_at', 'email_send_attempt',
  'promo_code', 'transfer_reference', 'remitter_name', 'remitter_bank_name', 'quoted_pay_amount_micros',
  'quoted_credit_micros', 'credit_correction_reason',
] as const satisfies readonly (keyof InvoiceRow)[];

/** An invoice whose PDF has been stored: what is served and sent. */
export interface IssuedInvoiceRow extends InvoiceRow {
  pdf: Buffer;
  pdf_sha256: Buffer;
}
