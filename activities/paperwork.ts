// The first paperwork step of a credited hosted-checkout order, in one activity: the provider's receipt
// link, then the invoice (number, row, PDF). Two steps that always run together, one after the other,
// cost one activity task and one workflow task instead of two of each (workflows/stripe-checkout-order.ts,
// behind its patch). The receipt link is a convenience: its failure is logged and the invoice is issued
// without it; a retry of the activity (issuing failed) looks the link up again, and issuing is
// idempotent by the order (activities/invoices.ts).
import type { OrderSnapshot } from '../domain/orders.ts';
import type { Logger } from '../observability/logger.ts';
import { whileHeartbeating } from './activity-context.ts';
import type { IssueInvoiceInput, IssueInvoiceResult } from '../domain/invoices.ts';

export interface ReceiptAndInvoiceInput {
  /** The credited order, as the workflow holds it. */
  order: OrderSnapshot;
}

export interface ReceiptAndInvoiceResult {
  receiptUrl: string | null;
  invoiceNumber: string;
}

interface PaperworkSteps {
  recordReceipt(order: OrderSnapshot): Promise<string | null>;
  issueInvoice(input: IssueInvoiceInput): Promise<IssueInvoiceResult>;
  logger: Logger;
}

export function createPaperworkActivities({ recordReceipt, issueInvoice, logger }: PaperworkSteps) {
  return {
    async recordReceiptAndIssueInvoice({ order }: ReceiptAndInvoiceInput): Promise<ReceiptAndInvoiceResult> {
      // Heartbeating from the start: the provider's answer can take seconds before the PDF's work begins.
      return whileHeartbeating(async () => {
        const receiptUrl = await recordReceipt(order).catch((error: unknown) => {
          logger.warn({ orderId: order.orderId, err: error }, 'no receipt link for the order');
          return null;
        });
        const { invoiceNumber } = await issueInvoice({ orderId: order.orderId });
        return { receiptUrl, invoiceNumber };
      });
    },
  };
}
