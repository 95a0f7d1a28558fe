// Reads an issued invoice with its PDF by its number, for a signed download link (no account scope: the
// link's signature is what authorises it).
import type { Sql } from '../client.ts';
import { invoiceColumns, type IssuedInvoiceRow } from './invoice-row.ts';

export async function getIssuedInvoiceByNumber(sql: Sql, invoiceNumber: string): Promise<IssuedInvoiceRow | null> {
  const [row] = await sql<IssuedInvoiceRow[]>`
    select ${sql(invoiceColumns)}, pdf from invoices
    where number = ${invoiceNumber} and pdf is not null and pdf_sha256 is not null`;
  return row ?? null;
}
