// The invoice of a credited order: issue it (number, row, PDF), then email it. Shared by every order
// workflow, the frozen ones of workflows/legacy/ included, so a change to its control flow goes behind
// patched(). Deterministic orchestration only: the activities are imported as types.
//
// The step never blocks or undoes the credit, which is committed before it starts. Issuing only
// waits for Postgres, so it is retried for about a day; an email that still fails after its retries
// is recorded on the invoice and flagged on the workflow (RefillInvoiceEmailFailed) for a person to
// resend, and the step finishes.
import {
  ActivityFailure,
  isCancellation,
  log,
  proxyActivities,
  upsertSearchAttributes,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.ts';
import type { PaperworkResult } from '../activities/paperwork.ts';
import type { OrderSnapshot } from '../domain/orders.ts';
import { invoiceEmailFailedKey } from '../domain/search-attributes.ts';
import { invoiceEmailPolicy, invoiceIssuePolicy } from './activity-options.ts';

export interface InvoiceStepOptions {
  /** The issuing activity and the failure record: database work only. */
  issue: ActivityOptions;
  /** The email activity: an SMTP server that may be down for a while. */
  email: ActivityOptions;
}

/** Issuing retries for about a day; the email for about an hour (workflows/activity-options.ts). */
export const defaultInvoiceStepOptions: InvoiceStepOptions = { issue: invoiceIssuePolicy, email: invoiceEmailPolicy };

export type InvoiceStepResult =
  | { outcome: 'emailed'; invoiceNumber: string; messageId: string }
  | { outcome: 'email_failed'; invoiceNumber: string; reason: string }
  /** Issuing failed for good (a bug, or a day without a database): flagged, the credit stands. */
  | { outcome: 'not_issued'; reason: string };

/** The message of an activity's final failure, for the invoice row and the logs. */
function failureReason(error: ActivityFailure): string {
  return error.cause?.message ?? error.message;
}

/** Issuing failed for good: logged and flagged for a person; the credit stands. */
function notIssued(orderId: string, error: ActivityFailure): InvoiceStepResult {
  const reason = failureReason(error);
  log.error('invoice could not be issued', { orderId, reason });
  upsertSearchAttributes([{ key: invoiceEmailFailedKey, value: true }]);
  return { outcome: 'not_issued', reason };
}

/**
 * Issues the credited order's invoice and emails it; resolves whatever becomes of the email. `issue`
 * replaces the issuing activity with one that does more in the same step (the receipt link with the
 * invoice, workflows/order-steps.ts); its final failure is handled as issuing's.
 */
export async function issueInvoiceAndEmail(
  order: OrderSnapshot,
  balanceAfter: string,
  options: InvoiceStepOptions = defaultInvoiceStepOptions,
  issue?: () => Promise<{ invoiceNumber: string }>,
): Promise<InvoiceStepResult> {
  const database = proxyActivities<OrderActivities>(options.issue);
  const mail = proxyActivities<OrderActivities>(options.email);
  const orderId = order.orderId;

  let invoiceNumber: string;
  try {
    invoiceNumber = (await (issue === undefined ? database.issueInvoice({ orderId }) : issue())).invoiceNumber;
  } catch (error) {
    if (!(error instanceof ActivityFailure) || isCancellation(error)) throw error;
    return notIssued(orderId, error);
  }

  try {
    const sent = await mail.sendInvoiceEmail({ orderId, balanceAfter });
    return { outcome: 'emailed', invoiceNumber, messageId: sent.messageId };
  } catch (error) {
    if (!(error instanceof ActivityFailure) || isCancellation(error)) throw error;
    const reason = failureReason(error);
    log.warn('invoice email failed after its retries', { orderId, invoiceNumber, reason });
    upsertSearchAttributes([{ key: invoiceEmailFailedKey, value: true }]);
    await database.recordInvoiceEmailFailed({ orderId, reason });
    return { outcome: 'email_failed', invoiceNumber, reason };
  }
}

/**
 * How long after issuing a failing invoice email is retried inside the one paperwork activity
 * (issueWholePaperwork): about an hour, as the email's own policy retries it on the older path.
 */
export const paperworkEmailRetrySeconds = 3_600;

/**
 * The invoice step when the receipt link, the invoice and its email are one activity (`run`, on the
 * paperwork task queue): the same outcomes as issueInvoiceAndEmail, flagged the same way. A failed email
 * was recorded on the invoice by the activity itself.
 */
export async function issueWholePaperwork(
  order: OrderSnapshot,
  run: () => Promise<PaperworkResult>,
): Promise<{ receiptUrl: string | null; invoice: InvoiceStepResult }> {
  const orderId = order.orderId;
  let result: PaperworkResult;
  try {
    result = await run();
  } catch (error) {
    if (!(error instanceof ActivityFailure) || isCancellation(error)) throw error;
    return { receiptUrl: null, invoice: notIssued(orderId, error) };
  }
  const { receiptUrl, invoiceNumber, email } = result;
  if (email.outcome === 'emailed') return { receiptUrl, invoice: { outcome: 'emailed', invoiceNumber, messageId: email.messageId } };
  log.warn('invoice email failed after its retries', { orderId, invoiceNumber, reason: email.reason });
  upsertSearchAttributes([{ key: invoiceEmailFailedKey, value: true }]);
  return { receiptUrl, invoice: { outcome: 'email_failed', invoiceNumber, reason: email.reason } };
}
