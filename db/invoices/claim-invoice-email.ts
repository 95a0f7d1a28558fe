// Records the intent to send an invoice's email ('sending', with the attempt) before the message goes
// to the SMTP server, unless it was sent already or an earlier attempt's send is still unaccounted for.
import type { Sql } from '../client.ts';

export type ClaimInvoiceEmailResult =
  | { outcome: 'claimed' }
  | { outcome: 'sent'; messageId: string }
  /** An earlier attempt recorded 'sending' and never its outcome: the server may have the message. */
  | { outcome: 'unaccounted'; attempt: number; since: Date };

export async function claimInvoiceEmail(sql: Sql, invoiceNumber: string, attempt: number): Promise<ClaimInvoiceEmailResult> {
  const claimed = await sql`
    update invoices set email_status = 'sending', email_send_attempt = ${attempt}, email_updated_at = now()
    where number = ${invoiceNumber} and email_status in ('pending', 'failed')
    returning number`;
  if (claimed.length === 1) return { outcome: 'claimed' };
  const [row] = await sql<{ email_status: string; email_message_id: string | null; email_send_attempt: number | null; email_updated_at: Date | null }[]>`
    select email_status, email_message_id, email_send_attempt, email_updated_at from invoices where number = ${invoiceNumber}`;
  if (row === undefined) throw new Error(`invoice ${invoiceNumber} does not exist`);
  if (row.email_status === 'sent' && row.email_message_id !== null) return { outcome: 'sent', messageId: row.email_message_id };
  return { outcome: 'unaccounted', attempt: row.email_send_attempt ?? 0, since: row.email_updated_at ?? new Date(0) };
}
