// The refunds ops act on, oldest first: requested ones to approve or reject, and bank transfer refunds
// being paid out, whose payout ops confirm with the bank's reference (the /admin refund routes).
import { listRefunds } from '../../../db/refunds/list-refunds.ts';
import type { RefundRow } from '../../../db/refunds/refund-row.ts';
import { refundWorkflowId } from '../../../domain/refunds.ts';
import { actionForm, escapeHtml, facts, queueHeading, temporalLink, textField, waited } from '../ops-pages.ts';
import { moneyForPeople } from './amount-input.ts';
import type { OpsQueue, QueueContext } from './ops-queue.ts';

function forms(refund: RefundRow, csrfToken: string): string {
  const base = `/ops/refunds/${refund.id}`;
  const id = (name: string) => `${refund.id}-${name}`;
  if (refund.status === 'requested') {
    return (
      actionForm(`${base}/approve`, 'Approve', csrfToken, textField(id('approve-reason'), 'reason', 'Reason'), 'Approve') +
      actionForm(`${base}/reject`, 'Reject', csrfToken, textField(id('reject-reason'), 'reason', 'Reason', { required: true, hint: 'Told to the customer.' }), 'Reject', true)
    );
  }
  const fields = textField(id('bank-reference'), 'bank_reference', 'Bank reference of the payout', { required: true });
  return actionForm(`${base}/confirm-payout`, 'Confirm the payout', csrfToken, fields, 'Confirm payout');
}

function render(refund: RefundRow, context: QueueContext): string {
  const details = facts([
    ['Status', refund.status === 'requested' ? 'requested (to decide)' : `${refund.status} (payout by bank transfer)`],
    ['Amount', moneyForPeople(refund.amount_micros, refund.currency)],
    ['Reason', refund.reason],
    ['Order', `${refund.order_id} (${refund.payment_method})`],
    ['Customer', `${refund.customer_email} (${refund.account_id})`],
    ['Waiting', waited(refund.created_at, context.now)],
  ]);
  return (
    `<article class="item" aria-labelledby="${refund.id}-title"><h2 id="${refund.id}-title">Refund <code>${escapeHtml(refund.id)}</code></h2>` +
    `${details}${temporalLink(context.temporalUiUrl, context.namespace, refundWorkflowId(refund.id))}` +
    `<div class="actions">${forms(refund, context.csrfToken)}</div></article>`
  );
}

export const refundQueue: OpsQueue<RefundRow> = {
  ...queueHeading('/ops/refunds'),
  emptyText: 'refunds to decide or pay out',
  async list(dependencies, limit) {
    const requested = await listRefunds(dependencies.sql, { accountId: null, status: 'requested', afterSequence: null, limit });
    const payingOut = (await listRefunds(dependencies.sql, { accountId: null, status: 'processing', afterSequence: null, limit })).filter(
      (refund) => refund.payment_method === 'bank_transfer' && refund.bank_reference === null,
    );
    return [...requested, ...payingOut].sort((left, right) => Number(left.sequence - right.sequence)).slice(0, limit);
  },
  render,
};
