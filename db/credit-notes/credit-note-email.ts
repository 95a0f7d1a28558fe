// The credit note email's record, at most once as the invoice email's is (migration 0009): 'sending' is
// recorded before the message goes to the SMTP server; a retry that finds it does not send again.
import type { Sql } from '../client.ts';

export type CreditNoteEmailClaim = { outcome: 'claimed' } | { outcome: 'sent'; messageId: string } | { outcome: 'unaccounted' };

/** Claims the send: pending (or failed, when resent) becomes sending. */
export async function claimCreditNoteEmail(sql: Sql, number: string): Promise<CreditNoteEmailClaim> {
  const [claimed] = await sql`
    update credit_notes set email_status = 'sending' where number = ${number} and email_status = 'pending' returning id`;
  if (claimed !== undefined) return { outcome: 'claimed' };
  const [row] = await sql<{ email_status: string; email_message_id: string | null }[]>`
    select email_status, email_message_id from credit_notes where number = ${number}`;
  if (row?.email_status === 'sent') return { outcome: 'sent', messageId: row.email_message_id! };
  return { outcome: 'unaccounted' };
}

/** Records how the send ended: sent (with its Message-ID), back to pending (provably not handed over), or failed. */
export async function recordCreditNoteEmail(
  sql: Sql,
  number: string,
  outcome: { status: 'sent'; messageId: string } | { status: 'pending' } | { status: 'failed'; reason: string },
): Promise<void> {
  await sql`
    update credit_notes set
      email_status = ${outcome.status},
      email_message_id = ${outcome.status === 'sent' ? outcome.messageId : null},
      email_failure = ${outcome.status === 'failed' ? outcome.reason.slice(0, 1000) : null}
    where number = ${number} and email_status <> 'sent'`;
}
