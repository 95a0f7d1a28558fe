// A workflow that runs only the invoice step, with the activity options a test chooses (a short email
// retry policy, for an SMTP outage that should not take an hour to give up on). Bundled by tests alone.
import type { OrderSnapshot } from '../../domain/orders.ts';
import { issueInvoiceAndEmail, type InvoiceStepOptions, type InvoiceStepResult } from '../../workflows/invoice-step.ts';

export async function invoiceStepWorkflow(
  order: OrderSnapshot,
  balanceAfter: string,
  options: InvoiceStepOptions,
): Promise<InvoiceStepResult> {
  return issueInvoiceAndEmail(order, balanceAfter, options);
}
