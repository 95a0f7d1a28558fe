// Credits a paid order: the ledger transfer, the promo redemption and the order's succeeded state, in one
// transaction, so credited and succeeded commit together. Exactly once: the transfer's idempotency key
// is the order id, so a retry (or a second path to the same order) returns the first credit.
import type { Sql } from '../client.ts';
import type { OrderSnapshot, OrderStatus } from '../../domain/orders.ts';
import { recordRecharge } from '../ledger/record-recharge.ts';
import { saveOrderState } from './save-order-state.ts';

export interface CreditOrderInput {
  /** The order as it is once credited (status succeeded); credited_at is the transfer's time. */
  succeeded: OrderSnapshot;
  /** What payment clearing gives: the pay amount, or what a bank transfer actually brought. */
  payAmountMicros: bigint;
  /** What lands on the balance: the quoted credit, or the one ops corrected it to. */
  creditMicros: bigint;
  /** Shown with the flow, e.g. why a bank transfer was credited other than quoted. */
  metadata: Record<string, string> | null;
}

export interface CreditOrderResult {
  creditedAt: Date;
  balanceAfterMicros: bigint;
  transferId: bigint;
  /** The order's status before the credit: `succeeded` on a retry that found the credit done. */
  previousStatus: OrderStatus | null;
}

export async function creditOrder(sql: Sql, input: CreditOrderInput): Promise<CreditOrderResult> {
  const order = input.succeeded;
  if (order.status !== 'succeeded') throw new RangeError(`order ${order.orderId}: a credit saves a succeeded order, not ${order.status}`);
  return sql.begin(async (transaction) => {
    const recharge = await recordRecharge(transaction, {
      orderId: order.orderId,
      accountId: order.accountId,
      currency: order.terms.currency,
      payAmountMicros: input.payAmountMicros,
      creditMicros: input.creditMicros,
      description: `Top-up ${order.orderId}`,
      metadata: input.metadata,
    });
    await transaction`
      update promo_reservations set status = 'redeemed', updated_at = now()
      where order_id = ${order.orderId} and status = 'reserved'`;
    const saved = await saveOrderState(transaction, { ...order, creditedAt: recharge.createdAt.toISOString() });
    return { creditedAt: recharge.createdAt, balanceAfterMicros: recharge.balanceAfterMicros, transferId: recharge.transferId, previousStatus: saved.previousStatus };
  });
}
