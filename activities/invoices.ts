// Activities that issue an order's invoice (number, row, PDF) and email it, each safe to retry:
// a retry finds the invoice or the recorded send of the attempt before it.
import { createHash } from 'node:crypto';
import { allocateInvoice, type InvoiceIssuer } from '../db/invoices/allocate-invoice.ts';
import { getInvoiceByOrder } from '../db/invoices/get-invoice.ts';
import type { InvoiceRow } from '../db/invoices/invoice-row.ts';
import { recordInvoiceEmailFailed } from '../db/invoices/record-invoice-email-failed.ts';
import { recordInvoiceEmailSent } from '../db/invoices/record-invoice-email-sent.ts';
import { storeInvoicePdf } from '../db/invoices/store-invoice-pdf.ts';
import { failure } from '../domain/failures.ts';
import {
  type IssueInvoiceInput,
  type IssueInvoiceResult,
  type RecordInvoiceEmailFailedInput,
  type SendInvoiceEmailInput,
  type SendInvoiceEmailResult,
} from '../domain/invoices.ts';
import type { ActivityDependencies } from './index.ts';
import { composeInvoiceEmail, type OutgoingMail } from './invoices/compose-invoice-email.ts';
import { renderInvoicePdf } from './invoices/render-invoice-pdf.ts';

/** What the invoice activities need besides the database: who issues, who sends, where links point. */
export interface InvoiceSettings {
  issuer: InvoiceIssuer;
  mailFrom: string;
  /** The API's public address, for the download link in the email. */
  publicBaseUrl: string;
}

/** The part of a nodemailer SMTP transport the activities use (worker/mail-transport.ts builds it). */
export interface MailTransport {
  /** Resolves once the server has accepted the message for delivery. */
  sendMail(mail: OutgoingMail): Promise<unknown>;
}

function sha256(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** SMTP 5xx replies (no such mailbox, policy refusal) will not change on retry; 4xx and network errors may. */
function isPermanentSmtpRefusal(error: unknown): boolean {
  const responseCode = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600;
}

export function createInvoiceActivities({ sql, logger, mailTransport, invoices }: ActivityDependencies) {
  /** Renders and stores the PDF of a numbered invoice whose PDF a crashed attempt did not store. */
  async function storePdf(invoice: InvoiceRow): Promise<Buffer> {
    const pdf = await renderInvoicePdf(invoice);
    const digest = sha256(pdf);
    const stored = await storeInvoicePdf(sql, { invoiceNumber: invoice.number, pdf, pdfSha256: digest });
    if (stored.outcome === 'stored') return digest;
    // A concurrent attempt stored it first. Rendering is deterministic, so the copies should match; if
    // they do not (a library upgrade between attempts), the stored copy stays the invoice.
    if (!stored.pdfSha256.equals(digest)) {
      logger.warn({ orderId: invoice.order_id, invoiceNumber: invoice.number }, 'a re-rendered invoice differs from the stored one');
    }
    return stored.pdfSha256;
  }

  return {
    /** Numbers the credited order's invoice and stores its PDF; a retry returns the same invoice. */
    async issueInvoice(input: IssueInvoiceInput): Promise<IssueInvoiceResult> {
      const allocation = await allocateInvoice(sql, { orderId: input.orderId, issuer: invoices.issuer, issuedAt: new Date() });
      if (allocation.outcome === 'order_not_credited') {
        throw failure('invoice_order_not_credited', `Order ${input.orderId} has not been credited; there is nothing to invoice.`);
      }
      const { invoice, created } = allocation;
      const pdfSha256 = invoice.pdf_sha256 ?? (await storePdf(invoice));
      logger.info({ orderId: input.orderId, invoiceNumber: invoice.number, created }, 'invoice issued');
      return {
        invoiceNumber: invoice.number,
        issuedAt: invoice.issued_at.toISOString(),
        pdfSha256: pdfSha256.toString('hex'),
        created,
      };
    },

    /** Emails the issued invoice to the account, unless an earlier attempt already did. */
    async sendInvoiceEmail(input: SendInvoiceEmailInput): Promise<SendInvoiceEmailResult> {
      const found = await getInvoiceByOrder(sql, input.orderId, null);
      if (found.state !== 'issued') {
        throw failure('invoice_not_issued', `Order ${input.orderId} has no issued invoice to send.`);
      }
      const invoice = found.invoice;
      if (invoice.email_status === 'sent' && invoice.email_message_id !== null) {
        return { messageId: invoice.email_message_id, alreadySent: true };
      }
      const mail = composeInvoiceEmail({
        invoice,
        balanceAfter: input.balanceAfter,
        mailFrom: invoices.mailFrom,
        publicBaseUrl: invoices.publicBaseUrl,
      });
      try {
        await mailTransport.sendMail(mail);
      } catch (error) {
        if (!isPermanentSmtpRefusal(error)) throw error;
        throw failure('email_rejected', `The mail server refused the invoice email: ${(error as Error).message}`, error as Error);
      }
      // Recorded right after the server accepted it; if this write is lost, the retry sends a copy
      // with the same Message-ID.
      await recordInvoiceEmailSent(sql, invoice.number, mail.messageId);
      logger.info({ orderId: input.orderId, invoiceNumber: invoice.number, messageId: mail.messageId }, 'invoice email sent');
      return { messageId: mail.messageId, alreadySent: false };
    },

    /** Marks the invoice's email as failed after its retries, so a person can resend it. */
    async recordInvoiceEmailFailed(input: RecordInvoiceEmailFailedInput): Promise<void> {
      const result = await recordInvoiceEmailFailed(sql, input.orderId, input.reason);
      logger.error({ orderId: input.orderId, recorded: result.recorded, reason: input.reason }, 'invoice email failed');
    },
  };
}
