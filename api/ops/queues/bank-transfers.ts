// The bank transfers to review: CNY (and any other) bank transfer orders still pending or in review,
// oldest first, as GET /admin/topups?payment_method=bank_transfer&status=pending,processing lists them.
// A pending one can be taken into review; one in review confirmed (with the amount on the statement,
// its bank reference, and optionally a corrected credit with its reason) or rejected with a reason.
import { listOrdersForOps, type OpsOrderRow } from '../../../db/orders/list-orders-for-ops.ts';
import { orderWorkflowId } from '../../../domain/orders.ts';
import { actionForm, escapeHtml, facts, queueHeading, temporalLink, textField, waited } from '../ops-pages.ts';
import { amountForInput, moneyForPeople } from './amount-input.ts';
import type { OpsQueue, QueueContext } from './ops-queue.ts';

function reviewForms(order: OpsOrderRow, csrfToken: string): string {
  const base = `/ops/topups/${order.id}`;
  if (order.status === 'pending') {
    return actionForm(`${base}/start-review`, 'Take into review', csrfToken, '<p class="hint">The customer can no longer cancel once the review has started.</p>', 'Start review');
  }
  const id = (name: string) => `${order.id}-${name}`;
  const confirmFields =
    textField(id('amount-received'), 'amount_received', `Amount received (${order.currency})`, { required: true, value: amountForInput(order.pay_amount_micros, order.currency), inputMode: 'decimal', hint: 'As the bank statement shows it.' }) +
    textField(id('bank-reference'), 'bank_reference', 'Bank reference', { required: true, hint: 'The statement line\'s reference.' }) +
    textField(id('corrected-credit'), 'corrected_credit', `Corrected credit (${order.currency})`, { inputMode: 'decimal', hint: `Leave empty to credit the quoted ${moneyForPeople(order.credit_micros, order.currency)}.` }) +
    textField(id('confirm-reason'), 'reason', 'Reason for the correction', { hint: 'Required with a corrected credit; shown to the customer.' });
  const rejectFields = textField(id('reject-reason'), 'reason', 'Reason', { required: true, hint: 'Emailed to the customer.' });
  return (
    actionForm(`${base}/confirm-transfer`, 'Confirm the transfer', csrfToken, confirmFields, 'Confirm and credit') +
    actionForm(`${base}/reject-transfer`, 'Reject the transfer', csrfToken, rejectFields, 'Reject', true)
  );
}

function render(order: OpsOrderRow, context: QueueContext): string {
  const money = (micros: bigint) => moneyForPeople(micros, order.currency);
  const details = facts([
    ['Status', order.status === 'pending' ? 'pending (waiting for the transfer)' : 'processing (in review)'],
    ['Transfer reference', order.transfer_reference],
    ['Customer pays', money(order.pay_amount_micros)],
    ['Credit (quoted)', money(order.credit_micros)],
    ['Remitter', order.remitter_name],
    ['Remitter\'s bank', order.remitter_bank_name],
    ['Remarks', order.remitter_remarks],
    ['Customer', `${order.customer_email} (${order.account_id})`],
    ['Waiting', waited(order.created_at, context.now)],
    ['Pay by', `${order.expires_at.toISOString().slice(0, 16).replace('T', ' ')} UTC`],
  ]);
  return (
    `<article class="item" aria-labelledby="${order.id}-title"><h2 id="${order.id}-title">Order <code>${escapeHtml(order.id)}</code></h2>` +
    `${details}${temporalLink(context.temporalUiUrl, context.namespace, orderWorkflowId(order.id))}` +
    `<div class="actions">${reviewForms(order, context.csrfToken)}</div></article>`
  );
}

export const bankTransferQueue: OpsQueue<OpsOrderRow> = {
  ...queueHeading('/ops/bank-transfers'),
  emptyText: 'bank transfers waiting for review',
  list: (dependencies, limit) =>
    listOrdersForOps(dependencies.sql, { paymentMethod: 'bank_transfer', statuses: ['pending', 'processing'], transferReference: null, afterSequence: null, limit }),
  render,
};
