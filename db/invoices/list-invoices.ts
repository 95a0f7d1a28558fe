// Lists an account's issued invoices newest first, by keyset pagination on the issue sequence.
import type { Sql } from '../client.ts';
import { invoiceColumns, type InvoiceRow } from './invoice-row.ts';

export interface ListInvoicesInput {
  accountId: string;
  beforeId: bigint | null;
  limit: number;
}

export async function listInvoices(sql: Sql, input: ListInvoicesInput): Promise<InvoiceRow[]> {
  return sql<InvoiceRow[]>`
    select ${sql(invoiceColumns)} from invoices
    where account_id = ${input.accountId} and pdf_sha256 is not null
      ${input.beforeId === null ? sql`` : sql`and id < ${input.beforeId.toString()}`}
    order by id desc
    limit ${input.limit}`;
}
