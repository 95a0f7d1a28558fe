// Records ops' decision on a payment exception, once: a retry finds it resolved and returns it as it is.
// A credit posts the order's locked quote to the ledger in the same transaction, keyed by the exception,
// so it is credited exactly once however often it is retried.
import type { Sql, TransactionSql } from '../client.ts';
import type { ResolvePaymentExceptionRequest } from '../../domain/payment-exceptions.ts';
import { recordRecharge } from '../ledger/record-recharge.ts';
import type { OrderRow } from '../orders/order-row.ts';
import type { PaymentExceptionRow } from './payment-exception-row.ts';

export interface ResolvePaymentExceptionInput {
  exceptionId: string;
  decision: ResolvePaymentExceptionRequest;
  /** The provider's refund, for a refund decision. */
  refundId: string | null;
}

/** The ledger idempotency key of an exception's credit. */
export function paymentExceptionCreditKey(exceptionId: string): string {
  return `payment-exception:${exceptionId}`;
}

export async function resolvePaymentException(sql: Sql, input: ResolvePaymentExceptionInput): Promise<PaymentExceptionRow> {
  return sql.begin(async (transaction) => {
    const [row] = await transaction<PaymentExceptionRow[]>`
      select * from payment_exceptions where id = ${input.exceptionId} for update`;
    if (row === undefined) throw new RangeError(`no payment exception ${input.exceptionId}`);
    if (row.status === 'resolved') return row;
    const transferId = input.decision.decision === 'credit' ? await creditLockedQuote(transaction, row) : null;
    const [resolved] = await transaction<PaymentExceptionRow[]>`
      update payment_exceptions set status = 'resolved', decision = ${input.decision.decision},
        decision_reason = ${input.decision.reason}, decided_by = ${input.decision.actor}, decided_at = now(),
        transfer_id = ${transferId}, refund_id = ${input.refundId}
      where id = ${row.id}
      returning *`;
    return resolved!;
  });
}

/** Credits the order's locked quote (what the customer was promised for this payment). */
async function creditLockedQuote(transaction: TransactionSql, exception: PaymentExceptionRow): Promise<bigint> {
  const [order] = await transaction<OrderRow[]>`select * from orders where id = ${exception.order_id}`;
  if (order === undefined) throw new RangeError(`payment exception ${exception.id}: no order ${exception.order_id}`);
  const recharge = await recordRecharge(transaction, {
    orderId: order.id,
    accountId: order.account_id,
    currency: order.currency,
    payAmountMicros: order.pay_amount_micros,
    creditMicros: order.credit_micros,
    description: `Top-up ${order.id} (payment exception ${exception.id})`,
    metadata: { payment_exception: exception.id, provider_event: exception.event_id },
    idempotencyKey: paymentExceptionCreditKey(exception.id),
  });
  return recharge.transferId;
}
