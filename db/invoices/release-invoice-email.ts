// Puts an invoice's email back to 'pending' after an attempt that provably did not hand it to the SMTP
// server (the server refused it, or could not be reached), so that the next attempt sends it.
import type { Sql } from '../client.ts';
import { maximumEmailFailureLength } from './record-invoice-email-failed.ts';

export async function releaseInvoiceEmail(sql: Sql, invoiceNumber: string, attempt: number, reason: string): Promise<void> {
  await sql`
    update invoices set email_status = 'pending', email_failure = ${reason.slice(0, maximumEmailFailureLength)},
      email_updated_at = now()
    where number = ${invoiceNumber} and email_status = 'sending' and email_send_attempt = ${attempt}`;
}
