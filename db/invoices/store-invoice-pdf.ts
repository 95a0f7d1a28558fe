// Stores an invoice's rendered PDF, once: the first stored copy is the invoice for ever.
import type { Sql } from '../client.ts';

export interface StoreInvoicePdfInput {
  invoiceNumber: string;
  pdf: Buffer;
  pdfSha256: Buffer;
}

export type StoreInvoicePdfResult =
  | { outcome: 'stored' }
  /** An earlier attempt stored it first; its digest is returned so the caller can compare. */
  | { outcome: 'already_stored'; pdfSha256: Buffer };

export async function storeInvoicePdf(sql: Sql, input: StoreInvoicePdfInput): Promise<StoreInvoicePdfResult> {
  const updated = await sql`
    update invoices set pdf = ${input.pdf}, pdf_sha256 = ${input.pdfSha256}
    where number = ${input.invoiceNumber} and pdf is null
    returning id`;
  if (updated.length === 1) return { outcome: 'stored' };
  const [stored] = await sql<{ pdf_sha256: Buffer | null }[]>`
    select pdf_sha256 from invoices where number = ${input.invoiceNumber}`;
  if (stored?.pdf_sha256 == null) throw new Error(`invoice ${input.invoiceNumber} does not exist`);
  return { outcome: 'already_stored', pdfSha256: stored.pdf_sha256 };
}
