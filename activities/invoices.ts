// Activities that issue an order's invoice (number, row, PDF) and email it, each safe to retry:
// a retry finds the invoice, or the recorded send (or intent to send) of the attempt before it.
import { createHash } from 'node:crypto';
import { allocateInvoice, type InvoiceIssuer } from '../db/invoices/allocate-invoice.ts';
import { getInvoiceByOrder } from '../db/invoices/get-invoice.ts';
import type { InvoiceRow } from '../db/invoices/invoice-row.ts';
import { recordInvoiceEmailFailed } from '../db/invoices/record-invoice-email-failed.ts';
import { recordInvoiceEmailSent } from '../db/invoices/record-invoice-email-sent.ts';
import { claimInvoiceEmail } from '../db/invoices/claim-invoice-email.ts';
import { releaseInvoiceEmail } from '../db/invoices/release-invoice-email.ts';
import { storeInvoicePdf } from '../db/invoices/store-invoice-pdf.ts';
import { failure } from '../domain/failures.ts';
import { invoiceEmailFailures } from '../observability/metrics.ts';
import {
  type IssueInvoiceInput,
  type IssueInvoiceResult,
  type RecordInvoiceEmailFailedInput,
  type SendInvoiceEmailInput,
  type SendInvoiceEmailResult,
} from '../domain/invoices.ts';
import type { InvoiceLinkSettings } from '../ids/invoice-links.ts';
import { currentActivityAttempt, whileHeartbeating } from './activity-context.ts';
import type { ActivityDependencies } from './index.ts';
import { composeInvoiceEmail, type OutgoingMail } from './invoices/compose-invoice-email.ts';
import { renderInvoicePdf } from './invoices/render-invoice-pdf.ts';

/** What the invoice activities need besides the database: who issues, who sends, where links point. */
export interface InvoiceSettings {
  issuer: InvoiceIssuer;
  mailFrom: string;
  /** The API's public address, for the download link in the email. */
  publicBaseUrl: string;
  /** The signing key and lifetime of the email's download link; without them the link needs the API key. */
  links?: InvoiceLinkSettings;
  /** Where reminders to ops go (REFUND_OPS_EMAIL); the sender's address when unset. */
  opsEmail?: string;
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

/**
 * Errors that prove the SMTP server did not take the message: it answered with a refusal (a reply
 * code), or no connection was made. A timeout or a connection lost mid-transfer proves nothing: the
 * server may have accepted the message just before.
 */
export function provablyNotHandedOver(error: unknown): boolean {
  const { responseCode, code, command } = (error ?? {}) as { responseCode?: unknown; code?: unknown; command?: unknown };
  if (typeof responseCode === 'number' && responseCode >= 400) return true;
  return code === 'ECONNECTION' || code === 'EDNS' || command === 'CONN';
}

/**
 * The at-most-once rule. An earlier attempt recorded 'sending' and never its outcome: its worker died,
 * or PostgreSQL dropped between the server's acceptance and the record, or it timed out mid-transfer.
 * The server may have the message; sending again could mail the customer twice. So the email is left
 * to a person (the invoice step records it failed with this reason and sets RefillInvoiceEmailFailed),
 * who finds the deterministic Message-ID in the mail server's log and resends only if it is not there.
 */
function unaccountedSend(invoiceNumber: string, messageId: string, attempt: number): Error {
  return failure(
    'email_outcome_unknown',
    `Attempt ${attempt} was handing invoice ${invoiceNumber} to the mail server and did not record the outcome; ` +
      `it is not sent again. Look for Message-ID ${messageId} in the mail server's log and resend it only if it is missing.`,
  );
}

/** Recording a send the server accepted is retried within the attempt, so a short database drop loses nothing. */
const recordSentDelaysMilliseconds = [200, 500, 1_000, 2_000];
/** The sends this process had accepted and could not record, for its own next attempt; bounded. */
const maximumRememberedSends = 1_000;

export function createInvoiceActivities({ sql, logger, mailTransport, invoices }: ActivityDependencies) {
  const acceptedUnrecorded = new Set<string>();

  /** Sends the message; a send that provably did not reach the server is released for the retry. */
  async function handOver(invoiceNumber: string, attempt: number, mail: OutgoingMail): Promise<void> {
    try {
      await mailTransport.sendMail(mail);
    } catch (error) {
      if (provablyNotHandedOver(error)) await releaseInvoiceEmail(sql, invoiceNumber, attempt, (error as Error).message ?? String(error));
      if (!isPermanentSmtpRefusal(error)) throw error;
      throw failure('email_rejected', `The mail server refused the invoice email: ${(error as Error).message}`, error as Error);
    }
  }

  /** Records the accepted send, retrying a few times; remembers it when PostgreSQL stays away. */
  async function recordSent(orderId: string, invoiceNumber: string, messageId: string): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await recordInvoiceEmailSent(sql, invoiceNumber, messageId);
        return;
      } catch (error) {
        const delay = recordSentDelaysMilliseconds[attempt];
        if (delay === undefined) {
          if (acceptedUnrecorded.size >= maximumRememberedSends) acceptedUnrecorded.delete(acceptedUnrecorded.values().next().value!);
          acceptedUnrecorded.add(invoiceNumber);
          logger.error({ orderId, invoiceNumber, messageId, err: error }, 'invoice email accepted by the mail server but not recorded');
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

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

  /** Numbers the credited order's invoice and stores its PDF; a retry returns the same invoice. */
  async function issue(input: IssueInvoiceInput): Promise<IssueInvoiceResult> {
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
  }

  /** The send, once the invoice is issued: claim, hand over, record. */
  async function send(input: SendInvoiceEmailInput): Promise<SendInvoiceEmailResult> {
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
      links: invoices.links ?? null,
    });
    // This process's earlier attempt had the server's acceptance but could not record it.
    if (acceptedUnrecorded.has(invoice.number)) {
      await recordInvoiceEmailSent(sql, invoice.number, mail.messageId);
      acceptedUnrecorded.delete(invoice.number);
      return { messageId: mail.messageId, alreadySent: true };
    }
    const attempt = currentActivityAttempt();
    const claim = await claimInvoiceEmail(sql, invoice.number, attempt);
    if (claim.outcome === 'sent') return { messageId: claim.messageId, alreadySent: true };
    if (claim.outcome === 'unaccounted') throw unaccountedSend(invoice.number, mail.messageId, claim.attempt);
    await handOver(invoice.number, attempt, mail);
    await recordSent(input.orderId, invoice.number, mail.messageId);
    logger.info({ orderId: input.orderId, invoiceNumber: invoice.number, messageId: mail.messageId, attempt }, 'invoice email sent');
    return { messageId: mail.messageId, alreadySent: false };
  }

  return {
    /** Numbers the credited order's invoice and stores its PDF, heartbeating; a retry returns the same invoice. */
    async issueInvoice(input: IssueInvoiceInput): Promise<IssueInvoiceResult> {
      return whileHeartbeating(() => issue(input));
    },

    /**
     * Emails the issued invoice to the account at most once. The intent ('sending', with the attempt)
     * is recorded before the message goes to the SMTP server; a retry that finds it from an earlier
     * attempt whose outcome was never recorded does not send again (see unaccountedSend).
     */
    async sendInvoiceEmail(input: SendInvoiceEmailInput): Promise<SendInvoiceEmailResult> {
      return whileHeartbeating(() => send(input));
    },

    /** Marks the invoice's email as failed after its retries, so a person can resend it. */
    async recordInvoiceEmailFailed(input: RecordInvoiceEmailFailedInput): Promise<void> {
      // Under the issuing policy, whose heartbeat timeout applies to it too.
      const result = await whileHeartbeating(() => recordInvoiceEmailFailed(sql, input.orderId, input.reason));
      logger.error({ orderId: input.orderId, recorded: result.recorded, reason: input.reason }, 'invoice email failed');
      // Counted once per invoice: a retry of this activity finds the failure already recorded.
      if (result.recorded) invoiceEmailFailures.inc();
    },
  };
}
