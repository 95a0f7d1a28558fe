// Records a new refund of an order, once per Idempotency-Key, in one transaction under a lock on the
// order's row: concurrent requests for the same order queue on that lock, so the refunds of an order
// (those not rejected or failed) never add up to more than it paid. The balance is checked here too, as
// a courtesy answer (409 refund_exceeds_unconsumed_credit); the check that counts is made again in the
// transaction that takes the credit back (take-refund-credit.ts).
import type { Sql, TransactionSql } from '../client.ts';
import { customerBalanceCode } from '../ledger/ledger-account-codes.ts';
import { formatMicrosForPeople, minorUnitsPerUnit, microsPerUnit, type Currency } from '../../domain/money.ts';
import { creditRemovedFor, isAutoApproved, isWithinRefundWindow, largestCoveredAmount, type RefundOrigin, type RefundPolicy } from '../../domain/refunds.ts';
import { getRefundRow } from './get-refund.ts';
import type { RefundRow } from './refund-row.ts';

export interface InsertRefundInput {
  refundId: string;
  orderId: string;
  /** The account the order must belong to (a customer's request); null for ops. */
  accountId: string | null;
  requestedBy: Exclude<RefundOrigin, 'provider'>;
  operator: string | null;
  idempotencyKey: string;
  requestHash: string;
  /** Null: everything refundable. */
  amountMicros: bigint | null;
  reason: string;
  /** The customer's policy (window, automatic approval); null for ops, who may refund beyond the window. */
  policy: RefundPolicy | null;
  /** Ops only: lower the amount to what the unconsumed credit covers instead of refusing. */
  capToUnconsumedCredit: boolean;
  now: Date;
}

export type RefundRefusalCode =
  | 'not_found'
  | 'order_not_refundable'
  | 'refund_exceeds_refundable'
  | 'refund_exceeds_unconsumed_credit'
  | 'idempotency_key_reused';

export type InsertRefundResult =
  | { outcome: 'created' | 'existing'; refund: RefundRow }
  | { outcome: 'refused'; code: RefundRefusalCode; message: string };

interface LockedOrder {
  id: string;
  account_id: string;
  status: string;
  currency: Currency;
  pay_amount_micros: bigint;
  credit_micros: bigint;
  paid_at: Date | null;
  credited_at: Date | null;
}

const refused = (code: RefundRefusalCode, message: string): InsertRefundResult => ({ outcome: 'refused', code, message });

export async function insertRefund(sql: Sql, input: InsertRefundInput): Promise<InsertRefundResult> {
  return sql.begin(async (transaction) => {
    const replay = await existingRefund(transaction, input);
    if (replay !== null) return replay;
    const [order] = await transaction<LockedOrder[]>`
      select id, account_id, status, currency, pay_amount_micros, credit_micros, paid_at, credited_at from orders
      where id = ${input.orderId} ${input.accountId === null ? transaction`` : transaction`and account_id = ${input.accountId}`}
      for update`;
    if (order === undefined) return refused('not_found', 'No such order.');
    // A concurrent request with the same key committed while this one waited for the lock.
    const committedMeanwhile = await existingRefund(transaction, input);
    if (committedMeanwhile !== null) return committedMeanwhile;
    if (order.status !== 'succeeded' || order.credited_at === null) {
      return refused('order_not_refundable', `Only a succeeded order can be refunded; this one is ${order.status}.`);
    }
    const paidAt = order.paid_at ?? order.credited_at;
    if (input.policy !== null && !isWithinRefundWindow(input.policy, paidAt.getTime(), input.now.getTime())) {
      return refused('order_not_refundable', `The order was paid more than ${input.policy.windowDays} days ago; ask support.`);
    }
    return decideAndInsert(transaction, input, order, paidAt);
  });
}

async function existingRefund(transaction: TransactionSql, input: InsertRefundInput): Promise<InsertRefundResult | null> {
  const existing = await getRefundRow(transaction, input.refundId, null);
  if (existing === null) return null;
  if (existing.request_hash !== input.requestHash) {
    return refused('idempotency_key_reused', 'This Idempotency-Key was already used with a different request.');
  }
  return { outcome: 'existing', refund: existing };
}

async function decideAndInsert(transaction: TransactionSql, input: InsertRefundInput, order: LockedOrder, paidAt: Date): Promise<InsertRefundResult> {
  const [totals] = await transaction<{ refunded: bigint; removed: bigint; pending_removal: bigint; balance: bigint }[]>`
    select coalesce(sum(amount_micros) filter (where status not in ('rejected', 'failed')), 0)::bigint as refunded,
           coalesce(sum(credit_removed_micros) filter (where status not in ('rejected', 'failed')), 0)::bigint as removed,
           coalesce(sum(credit_removed_micros) filter (where status in ('requested', 'approved') and transfer_id is null), 0)::bigint
             as pending_removal,
           (select balance_micros from ledger_accounts where code = ${customerBalanceCode(order.account_id)}) as balance
    from refunds where order_id = ${order.id}`;
  const refundable = order.pay_amount_micros - totals!.refunded;
  if (refundable <= 0n) return refused('order_not_refundable', 'The order has been refunded in full.');
  let amount = input.amountMicros ?? refundable;
  if (amount > refundable) {
    return refused('refund_exceeds_refundable', `At most ${formatMicrosForPeople(refundable, order.currency)} ${order.currency} of this order is left to refund.`);
  }
  const covering = totals!.balance - totals!.pending_removal;
  const creditOf = (amountMicros: bigint) =>
    creditRemovedFor({ creditMicros: order.credit_micros, payAmountMicros: order.pay_amount_micros, amountMicros, refundableMicros: refundable, creditLeftMicros: order.credit_micros - totals!.removed });
  if (creditOf(amount) > covering) {
    if (!input.capToUnconsumedCredit) {
      return refused('refund_exceeds_unconsumed_credit', 'The balance no longer holds the credit this refund would take back: most of it has been used.');
    }
    amount = largestCoveredAmount({
      creditMicros: order.credit_micros,
      payAmountMicros: order.pay_amount_micros,
      balanceMicros: covering > 0n ? covering : 0n,
      refundableMicros: refundable,
      microsPerMinorUnit: microsPerUnit / minorUnitsPerUnit[order.currency],
    });
    if (amount <= 0n) return refused('refund_exceeds_unconsumed_credit', 'The balance holds too little of the order\'s credit to refund any of it.');
  }
  const creditRemoved = creditOf(amount);
  const approvedBy = await approver(transaction, input, order, paidAt);
  const [row] = await transaction<{ id: string }[]>`
    insert into refunds (id, order_id, account_id, requested_by, requested_by_operator, idempotency_key, request_hash, status,
                         currency, amount_micros, credit_removed_micros, reason, decided_by, decision_reason, decided_at, created_at)
    values (${input.refundId}, ${order.id}, ${order.account_id}, ${input.requestedBy}, ${input.operator}, ${input.idempotencyKey},
            ${input.requestHash}, ${approvedBy === null ? 'requested' : 'approved'}, ${order.currency}, ${amount.toString()},
            ${creditRemoved.toString()}, ${input.reason}, ${approvedBy}, ${approvedBy === null ? null : approvalReason(input)},
            ${approvedBy === null ? null : input.now}, ${input.now})
    returning id`;
  return { outcome: 'created', refund: (await getRefundRow(transaction, row!.id, null))! };
}

/** Ops approve their own refunds; a customer's is approved by the policy or waits for ops (null). */
async function approver(transaction: TransactionSql, input: InsertRefundInput, order: LockedOrder, paidAt: Date): Promise<string | null> {
  if (input.policy === null) return input.operator ?? 'ops';
  const [consumed] = await transaction<{ micros: bigint }[]>`
    select coalesce(-sum(e.amount_micros), 0)::bigint as micros
    from entries e join transfers t on t.id = e.transfer_id
    where e.ledger_account_id = (select id from ledger_accounts where code = ${customerBalanceCode(order.account_id)})
      and t.flow_type = 'consume' and e.created_at >= ${order.credited_at}`;
  const consumedMicros = consumed!.micros < order.credit_micros ? consumed!.micros : order.credit_micros;
  const automatic = isAutoApproved(input.policy, {
    paidAtMilliseconds: paidAt.getTime(),
    nowMilliseconds: input.now.getTime(),
    consumedMicros,
    creditMicros: order.credit_micros,
  });
  return automatic ? 'policy' : null;
}

function approvalReason(input: InsertRefundInput): string {
  return input.policy === null ? 'started by ops' : 'within the automatic approval rule';
}
