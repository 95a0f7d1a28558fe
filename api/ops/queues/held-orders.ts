// The orders held for review: card payments that arrived but could not be credited as quoted (another
// amount or currency, the ledger refusing), oldest first. Ops credit the locked quote once, or fail the
// order, as POST /admin/topups/:id/resolve-review does.
import { listOrdersForOps, type OpsOrderRow } from '../../../db/orders/list-orders-for-ops.ts';
import { orderWorkflowId } from '../../../domain/orders.ts';
import { actionForm, escapeHtml, facts, queueHeading, selectField, temporalLink, textField, waited } from '../ops-pages.ts';
import { moneyForPeople } from './amount-input.ts';
import type { OpsQueue, QueueContext } from './ops-queue.ts';

const decisions = [
  { value: 'credit', label: 'Credit the quoted amount' },
  { value: 'fail', label: 'Fail the order' },
] as const;

function render(order: OpsOrderRow, context: QueueContext): string {
  const money = (micros: bigint) => moneyForPeople(micros, order.currency);
  const details = facts([
    ['Why it is held', order.review_reason],
    ['Customer pays', money(order.pay_amount_micros)],
    ['Credit (quoted)', money(order.credit_micros)],
    ['Provider payment', order.provider_payment_id],
    ['Customer', `${order.customer_email} (${order.account_id})`],
    ['Waiting', waited(order.created_at, context.now)],
  ]);
  const fields =
    selectField(`${order.id}-decision`, 'decision', 'Decision', decisions) +
    textField(`${order.id}-reason`, 'reason', 'Reason', { required: true, hint: 'Recorded with the decision.' });
  return (
    `<article class="item" aria-labelledby="${order.id}-title"><h2 id="${order.id}-title">Order <code>${escapeHtml(order.id)}</code></h2>` +
    `${details}${temporalLink(context.temporalUiUrl, context.namespace, orderWorkflowId(order.id))}` +
    `<div class="actions">${actionForm(`/ops/topups/${order.id}/resolve-review`, 'Resolve the review', context.csrfToken, fields, 'Resolve')}</div></article>`
  );
}

export const heldOrderQueue: OpsQueue<OpsOrderRow> = {
  ...queueHeading('/ops/held-orders'),
  emptyText: 'orders held for review',
  list: (dependencies, limit) =>
    listOrdersForOps(dependencies.sql, { paymentMethod: 'stripe', statuses: ['processing'], transferReference: null, afterSequence: null, limit, needsReview: true }),
  render,
};
