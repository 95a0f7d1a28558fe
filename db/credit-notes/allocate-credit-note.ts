// Numbers a succeeded refund's credit note and records it, in one transaction, once per refund. Gap-free
// as invoices are (db/invoices/allocate-invoice.ts): the year's counter row is locked `for update` and
// incremented in the transaction that inserts the note, so a rollback takes the number back with it.
import type { Sql, TransactionSql } from '../client.ts';
import type { InvoiceIssuer } from '../invoices/allocate-invoice.ts';
import type { CreditNoteRow } from './credit-note-row.ts';

/** The credit notes' own series: CN-2026-000001. */
export const creditNotePrefix = 'CN';
const sequenceDigits = 6;

export function formatCreditNoteNumber(year: number, sequenceNumber: bigint): string {
  return `${creditNotePrefix}-${year}-${sequenceNumber.toString().padStart(sequenceDigits, '0')}`;
}

export type AllocateCreditNoteResult = { outcome: 'issued'; created: boolean; creditNote: CreditNoteRow } | { outcome: 'refund_not_succeeded' };

export async function allocateCreditNote(
  sql: Sql,
  input: { refundId: string; issuer: InvoiceIssuer; issuedAt: Date },
): Promise<AllocateCreditNoteResult> {
  return sql.begin(async (transaction) => {
    const existing = await findCreditNote(transaction, input.refundId);
    if (existing !== null) return { outcome: 'issued' as const, created: false, creditNote: existing };
    const year = input.issuedAt.getUTCFullYear();
    await transaction`insert into credit_note_counters (year) values (${year}) on conflict do nothing`;
    await transaction`select 1 from credit_note_counters where year = ${year} for update`;
    const committedMeanwhile = await findCreditNote(transaction, input.refundId);
    if (committedMeanwhile !== null) return { outcome: 'issued' as const, created: false, creditNote: committedMeanwhile };
    const [refund] = await transaction<{ id: string }[]>`select id from refunds where id = ${input.refundId} and status = 'succeeded'`;
    if (refund === undefined) return { outcome: 'refund_not_succeeded' as const };
    const [counter] = await transaction<{ last_number: bigint }[]>`
      update credit_note_counters set last_number = last_number + 1 where year = ${year} returning last_number`;
    const number = formatCreditNoteNumber(year, counter!.last_number);
    const [creditNote] = await transaction<CreditNoteRow[]>`
      insert into credit_notes (number, year, sequence_number, refund_id, order_id, account_id, invoice_number, issued_at,
                                issuer_name, issuer_address, issuer_tax_id, customer_email, currency, amount_micros,
                                credit_removed_micros, reason)
      select ${number}, ${year}, ${counter!.last_number.toString()}, r.id, r.order_id, r.account_id,
             (select i.number from invoices i where i.order_id = r.order_id), ${input.issuedAt},
             ${input.issuer.name}, ${input.issuer.address}, ${input.issuer.taxId}, a.email, r.currency, r.amount_micros,
             r.credit_removed_micros, r.reason
      from refunds r join accounts a on a.id = r.account_id where r.id = ${input.refundId}
      returning *`;
    return { outcome: 'issued' as const, created: true, creditNote: creditNote! };
  });
}

async function findCreditNote(transaction: TransactionSql, refundId: string): Promise<CreditNoteRow | null> {
  const [row] = await transaction<CreditNoteRow[]>`select * from credit_notes where refund_id = ${refundId}`;
  return row ?? null;
}
