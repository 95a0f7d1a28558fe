// The invoice of a credited order, as the workflow, the activities and the API all see it: its
// types, its number format and the names derived from the number. Imports nothing with side effects,
// so workflow code can import it.
//
// Glossary
// - invoice: the numbered, immutable record (and PDF) of one credited order; at most one per order.
// - issuer: who issues the invoice (legal name, address, tax id); its series is named by a prefix.
// - invoice number: prefix, year and a gap-free sequence number within that series and year,
//   e.g. RF-2026-000123. No number is skipped and none is used twice.
// - issue: allocating the number, storing the invoice row and its PDF; safe to repeat.
// - email status: pending until the mail is accepted by the SMTP server (sent), or failed after
//   all retries, for a person to act on; sending while an attempt hands it to the server.

export const invoiceEmailStatuses = ['pending', 'sending', 'sent', 'failed'] as const;
export type InvoiceEmailStatus = (typeof invoiceEmailStatuses)[number];

/** Digits of the sequence part of a number; wider numbers still print, just unpadded. */
const sequenceDigits = 6;

/** RF-2026-000123: the series prefix, the UTC year of issue, and the sequence number in that year. */
export function formatInvoiceNumber(prefix: string, year: number, sequenceNumber: bigint): string {
  return `${prefix}-${year}-${sequenceNumber.toString().padStart(sequenceDigits, '0')}`;
}

/** The file name the PDF is downloaded and attached as. */
export function invoiceFileName(invoiceNumber: string): string {
  return `${invoiceNumber}.pdf`;
}

/** Where the owner of an order downloads its invoice, relative to the API's public base URL. */
export function invoicePath(orderId: string): string {
  return `/v1/topups/${orderId}/invoice`;
}

/**
 * The Message-ID of an invoice's email, derived from the invoice number alone (and the sender's
 * domain), so that every attempt to send it, even one after a crash that lost the record of an
 * earlier success, carries the same id and mail systems can tell the copies apart from new mail.
 */
export function invoiceMessageId(invoiceNumber: string, mailFrom: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(mailFrom)?.[1] ?? 'refill.invalid';
  return `<invoice.${invoiceNumber}@${domain.toLowerCase()}>`;
}

/** What the issuing activity needs beyond the order: the account's email is read from the database. */
export interface IssueInvoiceInput {
  orderId: string;
}

export interface IssueInvoiceResult {
  invoiceNumber: string;
  /** ISO timestamp. */
  issuedAt: string;
  /** SHA-256 (hex) of the stored PDF. */
  pdfSha256: string;
  /** False when an earlier attempt had already issued it (a retried activity). */
  created: boolean;
}

export interface SendInvoiceEmailInput {
  orderId: string;
  /** The balance right after the order's credit, a six-decimal string. */
  balanceAfter: string;
}

export interface SendInvoiceEmailResult {
  messageId: string;
  /** True when an earlier attempt had already sent it: nothing was sent this time. */
  alreadySent: boolean;
}

export interface RecordInvoiceEmailFailedInput {
  orderId: string;
  reason: string;
}
