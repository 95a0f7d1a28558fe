// Reads an order's issued invoice with its PDF, scoped to its account (another account's is not found).
import type { Sql } from '../client.ts';
import { invoiceColumns, type InvoiceRow, type IssuedInvoiceRow } from './invoice-row.ts';

export type GetInvoiceResult =
  | { state: 'issued'; invoice: IssuedInvoiceRow }
  /** Numbered, but its PDF is not stored yet: the issuing activity is still at work. */
  | { state: 'rendering'; invoice: InvoiceRow }
  | { state: 'none' };

export async function getInvoiceByOrder(sql: Sql, orderId: string, accountId: string | null): Promise<GetInvoiceResult> {
  const [row] = await sql<(InvoiceRow & { pdf: Buffer | null })[]>`
    select ${sql(invoiceColumns)}, pdf from invoices
    where order_id = ${orderId} ${accountId === null ? sql`` : sql`and account_id = ${accountId}`}`;
  if (row === undefined) return { state: 'none' };
  if (row.pdf === null || row.pdf_sha256 === null) return { state: 'rendering', invoice: row };
  return { state: 'issued', invoice: row as IssuedInvoiceRow };
}
