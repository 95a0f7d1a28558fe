// Lists refunds: an account's newest first (customers), or by status oldest first (ops); keyset pages.
import type { Sql } from '../client.ts';
import type { RefundStatus } from '../../domain/refunds.ts';
import type { RefundRow } from './refund-row.ts';

export interface ListRefundsInput {
  /** An account's refunds, newest first; null: every account's, oldest first (the ops queue). */
  accountId: string | null;
  status: RefundStatus | null;
  /** The previous page's last sequence. */
  afterSequence: bigint | null;
  limit: number;
}

export async function listRefunds(sql: Sql, input: ListRefundsInput): Promise<RefundRow[]> {
  const newestFirst = input.accountId !== null;
  const position = input.afterSequence?.toString() ?? null;
  return sql<RefundRow[]>`
    select r.*, a.email as customer_email, o.payment_method, o.provider_payment_id,
           (select number from credit_notes c where c.refund_id = r.id and c.pdf_sha256 is not null) as credit_note_number
    from refunds r join orders o on o.id = r.order_id join accounts a on a.id = r.account_id
    where true
      ${input.accountId === null ? sql`` : sql`and r.account_id = ${input.accountId}`}
      ${input.status === null ? sql`` : sql`and r.status = ${input.status}`}
      ${position === null ? sql`` : newestFirst ? sql`and r.sequence < ${position}` : sql`and r.sequence > ${position}`}
    order by r.sequence ${newestFirst ? sql`desc` : sql`asc`}
    limit ${input.limit}`;
}
