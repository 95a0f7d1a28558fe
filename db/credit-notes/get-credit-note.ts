// Reads a refund's credit note, scoped to an account or not.
import type { Queryable } from '../client.ts';
import type { CreditNoteRow } from './credit-note-row.ts';

export async function getCreditNote(sql: Queryable, refundId: string, accountId: string | null): Promise<CreditNoteRow | null> {
  const [row] = await sql<CreditNoteRow[]>`
    select * from credit_notes where refund_id = ${refundId} ${accountId === null ? sql`` : sql`and account_id = ${accountId}`}`;
  return row ?? null;
}
