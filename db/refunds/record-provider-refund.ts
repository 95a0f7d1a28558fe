// Records a refund made at the provider without Refill (its dashboard), once per provider refund id,
// under a lock on the order's row; its credit is taken back by its own refund workflow.
import type { Sql } from '../client.ts';
import { creditRemovedFor } from '../../domain/refunds.ts';
import { refundIdOfProviderRefund } from '../../ids/ids.ts';
import { getRefundRow } from './get-refund.ts';
import type { RefundRow } from './refund-row.ts';

export interface RecordProviderRefundInput {
  providerRefundId: string;
  /** The payment it refunds: the order is found by it. */
  providerPaymentId: string;
  amountMicros: bigint;
  reason: string;
}

export type RecordProviderRefundResult = { outcome: 'created' | 'existing'; refund: RefundRow } | { outcome: 'unknown_order' };

export async function recordProviderRefund(sql: Sql, input: RecordProviderRefundInput): Promise<RecordProviderRefundResult> {
  return sql.begin(async (transaction) => {
    const [order] = await transaction<{ id: string; account_id: string; currency: string; pay_amount_micros: bigint; credit_micros: bigint }[]>`
      select id, account_id, currency, pay_amount_micros, credit_micros from orders
      where provider_payment_id = ${input.providerPaymentId} and status = 'succeeded' for update`;
    if (order === undefined) return { outcome: 'unknown_order' as const };
    const refundId = refundIdOfProviderRefund(input.providerRefundId);
    const existing = await getRefundRow(transaction, refundId, null);
    if (existing !== null) return { outcome: 'existing' as const, refund: existing };
    const [totals] = await transaction<{ refunded: bigint; removed: bigint }[]>`
      select coalesce(sum(amount_micros), 0)::bigint as refunded, coalesce(sum(credit_removed_micros), 0)::bigint as removed
      from refunds where order_id = ${order.id} and status not in ('rejected', 'failed')`;
    const refundable = order.pay_amount_micros - totals!.refunded;
    const creditRemoved = creditRemovedFor({
      creditMicros: order.credit_micros,
      payAmountMicros: order.pay_amount_micros,
      amountMicros: input.amountMicros,
      refundableMicros: refundable > 0n ? refundable : 0n,
      creditLeftMicros: order.credit_micros - totals!.removed,
    });
    await transaction`
      insert into refunds (id, order_id, account_id, requested_by, status, currency, amount_micros, credit_removed_micros, reason,
                           decided_by, decision_reason, decided_at, provider_refund_id)
      values (${refundId}, ${order.id}, ${order.account_id}, 'provider', 'processing', ${order.currency}, ${input.amountMicros.toString()},
              ${(creditRemoved > 0n ? creditRemoved : 0n).toString()}, ${input.reason}, 'provider', 'refunded at the provider', now(),
              ${input.providerRefundId})`;
    return { outcome: 'created' as const, refund: (await getRefundRow(transaction, refundId, null))! };
  });
}
