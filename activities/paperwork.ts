// The paperwork of a credited hosted-checkout order in as few activities as its steps allow. Steps that
// always run together, one after the other, cost one activity task and one workflow task instead of one
// of each per step (workflows/stripe-checkout-order.ts, behind its patches):
// - recordReceiptAndIssueInvoice: the provider's receipt link, then the invoice (number, row, PDF);
// - recordReceiptIssueAndEmailInvoice: the same, then the invoice's email, so the whole paperwork is
//   one activity.
// The receipt link is a convenience: its failure is logged and the invoice is issued without it. A retry
// of the activity looks the link up again; issuing is idempotent by the order and the email is sent at
// most once (activities/invoices.ts), so a retry repeats only what did not finish.
import { failureTypeOf } from '../domain/failures.ts';
import type {
  IssueInvoiceInput,
  IssueInvoiceResult,
  RecordInvoiceEmailFailedInput,
  SendInvoiceEmailInput,
  SendInvoiceEmailResult,
} from '../domain/invoices.ts';
import type { OrderSnapshot } from '../domain/orders.ts';
import type { Logger } from '../observability/logger.ts';
import { whileHeartbeating } from './activity-context.ts';

export interface ReceiptAndInvoiceInput {
  /** The credited order, as the workflow holds it. */
  order: OrderSnapshot;
}

export interface ReceiptAndInvoiceResult {
  receiptUrl: string | null;
  invoiceNumber: string;
}

export interface PaperworkInput {
  /** The credited order, as the workflow holds it. */
  order: OrderSnapshot;
  /** The balance right after the order's credit, a six-decimal string, for the email. */
  balanceAfter: string;
  /**
   * How long after the invoice was issued a failing email is still retried (the activity's own retries,
   * with backoff); past it, the email is recorded failed for a person and the activity finishes.
   */
  emailRetrySeconds: number;
}

export type PaperworkEmailOutcome = { outcome: 'emailed'; messageId: string } | { outcome: 'email_failed'; reason: string };

export interface PaperworkResult {
  receiptUrl: string | null;
  invoiceNumber: string;
  email: PaperworkEmailOutcome;
}

interface PaperworkSteps {
  recordReceipt(order: OrderSnapshot): Promise<string | null>;
  issueInvoice(input: IssueInvoiceInput): Promise<IssueInvoiceResult>;
  sendInvoiceEmail(input: SendInvoiceEmailInput): Promise<SendInvoiceEmailResult>;
  recordInvoiceEmailFailed(input: RecordInvoiceEmailFailedInput): Promise<void>;
  logger: Logger;
}

/** Failures of the email that no retry changes: the server refused it, or an earlier attempt's outcome is unknown. */
function isFinalEmailFailure(error: unknown): boolean {
  const type = failureTypeOf(error);
  return type === 'email_rejected' || type === 'email_outcome_unknown';
}

export function createPaperworkActivities(steps: PaperworkSteps) {
  const { recordReceipt, issueInvoice, logger } = steps;

  /** The receipt link, or null (logged) when the provider has none for now. */
  async function receiptOf(order: OrderSnapshot): Promise<string | null> {
    // Heartbeating: the provider's answer can take seconds (issuing heartbeats on its own).
    return whileHeartbeating(() => recordReceipt(order)).catch((error: unknown) => {
      logger.warn({ orderId: order.orderId, err: error }, 'no receipt link for the order');
      return null;
    });
  }

  /**
   * Emails the issued invoice. A failure that no retry changes, or any failure once the email's retry
   * time after issuing has passed, is recorded on the invoice and reported; any other is thrown, so
   * the activity is retried with its backoff (issuing again only finds the invoice).
   */
  async function email(input: PaperworkInput, issued: IssueInvoiceResult): Promise<PaperworkEmailOutcome> {
    const orderId = input.order.orderId;
    try {
      const sent = await steps.sendInvoiceEmail({ orderId, balanceAfter: input.balanceAfter });
      return { outcome: 'emailed', messageId: sent.messageId };
    } catch (error) {
      const retryEndsAtMilliseconds = Date.parse(issued.issuedAt) + input.emailRetrySeconds * 1_000;
      if (!isFinalEmailFailure(error) && Date.now() < retryEndsAtMilliseconds) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      await steps.recordInvoiceEmailFailed({ orderId, reason });
      return { outcome: 'email_failed', reason };
    }
  }

  return {
    async recordReceiptAndIssueInvoice({ order }: ReceiptAndInvoiceInput): Promise<ReceiptAndInvoiceResult> {
      const receiptUrl = await receiptOf(order);
      const { invoiceNumber } = await issueInvoice({ orderId: order.orderId });
      return { receiptUrl, invoiceNumber };
    },

    /** The receipt link, the invoice and its email: the whole paperwork of the order, in one activity. */
    async recordReceiptIssueAndEmailInvoice(input: PaperworkInput): Promise<PaperworkResult> {
      const receiptUrl = await receiptOf(input.order);
      const issued = await issueInvoice({ orderId: input.order.orderId });
      return { receiptUrl, invoiceNumber: issued.invoiceNumber, email: await email(input, issued) };
    },
  };
}
