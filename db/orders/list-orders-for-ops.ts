// Lists orders across accounts for ops, oldest first (the longest-waiting transfer on top), by keyset
// pagination on the creation sequence, with the customer's email for contacting them.
import type { Sql } from '../client.ts';
import type { OrderPaymentMethod, OrderStatus } from '../../domain/orders.ts';
import type { OrderRow } from './order-row.ts';

export interface ListOrdersForOpsInput {
  paymentMethod: OrderPaymentMethod | null;
  /** Any of these statuses; null for all. */
  statuses: OrderStatus[] | null;
  /** An exact transfer reference, as normalizeTransferReference writes it. */
  transferReference: string | null;
  afterSequence: bigint | null;
  limit: number;
  /** Only payments held for review (the ops console's queue of them); all orders when absent. */
  needsReview?: boolean;
}

export interface OpsOrderRow extends OrderRow {
  customer_email: string;
}

/** One page of orders matching the filters, after the given position. */
export async function listOrdersForOps(sql: Sql, input: ListOrdersForOpsInput): Promise<OpsOrderRow[]> {
  return sql<OpsOrderRow[]>`
    select o.*, a.email as customer_email,
           (select t.metadata from transfers t where t.order_id = o.id and t.flow_type = 'recharge' and t.metadata ? 'corrected_credit' limit 1)
             as credit_correction
    from orders o join accounts a on a.id = o.account_id
    where true
      ${input.paymentMethod === null ? sql`` : sql`and o.payment_method = ${input.paymentMethod}`}
      ${input.statuses === null ? sql`` : sql`and o.status in ${sql(input.statuses)}`}
      ${input.transferReference === null ? sql`` : sql`and o.transfer_reference = ${input.transferReference}`}
      ${input.afterSequence === null ? sql`` : sql`and o.sequence > ${input.afterSequence.toString()}`}
      ${input.needsReview === true ? sql`and o.needs_review` : sql``}
    order by o.sequence
    limit ${input.limit}`;
}
