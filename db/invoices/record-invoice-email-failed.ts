// Records that an invoice's email could not be delivered after all its retries, for a person to act on.
// A mail already recorded as sent stays sent: a late failure report cannot undo a delivery.
import type { Sql } from '../client.ts';

/** The column's limit; longer reasons are cut, since they are SMTP replies and stack-free messages. */
export const maximumEmailFailureLength = 1_000;

export interface RecordInvoiceEmailFailedResult {
  /** False when there is no invoice for the order, or its mail was sent after all. */
  recorded: boolean;
}

export async function recordInvoiceEmailFailed(sql: Sql, orderId: string, reason: string): Promise<RecordInvoiceEmailFailedResult> {
  const updated = await sql`
    update invoices set email_status = 'failed', email_failure = ${reason.slice(0, maximumEmailFailureLength)},
      email_updated_at = now()
    where order_id = ${orderId} and email_status <> 'sent'
    returning id`;
  return { recorded: updated.length === 1 };
}
