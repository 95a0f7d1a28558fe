// Reads one refund whole (with its order's payment and its credit note), scoped to an account or not.
import type { Queryable } from '../client.ts';
import type { RefundRow } from './refund-row.ts';

/** The refund with what the workflow and the presenters read from its order, account and credit note. */
export async function getRefundRow(sql: Queryable, refundId: string, accountId: string | null): Promise<RefundRow | null> {
  const [row] = await sql<RefundRow[]>`
    select r.*, a.email as customer_email, o.payment_method, o.provider_payment_id,
           (select number from credit_notes c where c.refund_id = r.id and c.pdf_sha256 is not null) as credit_note_number
    from refunds r join orders o on o.id = r.order_id join accounts a on a.id = r.account_id
    where r.id = ${refundId} ${accountId === null ? sql`` : sql`and r.account_id = ${accountId}`}`;
  return row ?? null;
}
