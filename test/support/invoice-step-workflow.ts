// Workflows that run only the invoice step, with the activity options a test chooses (a short email
// retry policy, for an SMTP outage that should not take an hour to give up on). Bundled by tests alone.
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { OrderActivities } from '../../activities/index.ts';
import type { OrderSnapshot } from '../../domain/orders.ts';
import { issueInvoiceAndEmail, issueWholePaperwork, type InvoiceStepOptions, type InvoiceStepResult } from '../../workflows/invoice-step.ts';

export async function invoiceStepWorkflow(
  order: OrderSnapshot,
  balanceAfter: string,
  options: InvoiceStepOptions,
): Promise<InvoiceStepResult> {
  return issueInvoiceAndEmail(order, balanceAfter, options);
}

/** The whole paperwork in one activity, as hosted checkout orders run it, with the email's retry time a test chooses. */
export async function wholePaperworkWorkflow(
  order: OrderSnapshot,
  balanceAfter: string,
  emailRetrySeconds: number,
  options: ActivityOptions,
): Promise<{ receiptUrl: string | null; invoice: InvoiceStepResult }> {
  const paperwork = proxyActivities<OrderActivities>(options);
  return issueWholePaperwork(order, () => paperwork.recordReceiptIssueAndEmailInvoice({ order, balanceAfter, emailRetrySeconds }));
}
