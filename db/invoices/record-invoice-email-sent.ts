// Records that an invoice's email was accepted by the SMTP server, so no later attempt sends it again.
import type { Sql } from '../client.ts';

export async function recordInvoiceEmailSent(sql: Sql, invoiceNumber: string, messageId: string): Promise<void> {
  await sql`
    update invoices set email_status = 'sent', email_message_id = ${messageId}, email_sent_at = now(),
      email_failure = null, email_updated_at = now()
    where number = ${invoiceNumber} and email_status <> 'sent'`;
}
