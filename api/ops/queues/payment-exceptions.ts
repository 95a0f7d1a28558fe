// The open payment exceptions: payments that reached an order after its workflow had closed, oldest
// first, each waiting in its own workflow. Ops credit, refund or dismiss each, with a reason, as
// POST /admin/payment-exceptions/:id/resolve does.
import { listPaymentExceptions } from '../../../db/payment-exceptions/list-payment-exceptions.ts';
import type { PaymentExceptionRow } from '../../../db/payment-exceptions/payment-exception-row.ts';
import { workflowIdOfPaymentException } from '../../../domain/payment-exceptions.ts';
import { actionForm, escapeHtml, facts, queueHeading, selectField, temporalLink, textField, waited } from '../ops-pages.ts';
import type { OpsQueue, QueueContext } from './ops-queue.ts';

const decisions = [
  { value: 'credit', label: 'Credit the payment' },
  { value: 'refund', label: 'Refund the payment' },
  { value: 'dismiss', label: 'Dismiss (nothing to do)' },
] as const;

function render(exception: PaymentExceptionRow, context: QueueContext): string {
  const amount = exception.amount_minor_units === null ? null : `${exception.amount_minor_units.toString()} minor units ${exception.currency ?? ''}`.trim();
  const details = facts([
    ['Why', exception.reason],
    ['Order', `${exception.order_id} (${exception.order_status})`],
    ['Provider', `${exception.provider} ${exception.provider_payment_id ?? ''}`.trim()],
    ['Amount', amount],
    ['Account', exception.account_id],
    ['Waiting', waited(exception.created_at, context.now)],
  ]);
  const fields =
    selectField(`${exception.id}-decision`, 'decision', 'Decision', decisions) +
    textField(`${exception.id}-reason`, 'reason', 'Reason', { required: true, hint: 'Recorded with the decision.' });
  return (
    `<article class="item" aria-labelledby="${exception.id}-title"><h2 id="${exception.id}-title">Payment exception <code>${escapeHtml(exception.id)}</code></h2>` +
    `${details}${temporalLink(context.temporalUiUrl, context.namespace, workflowIdOfPaymentException(exception.id))}` +
    `<div class="actions">${actionForm(`/ops/payment-exceptions/${exception.id}/resolve`, 'Resolve', context.csrfToken, fields, 'Resolve')}</div></article>`
  );
}

export const paymentExceptionQueue: OpsQueue<PaymentExceptionRow> = {
  ...queueHeading('/ops/payment-exceptions'),
  emptyText: 'open payment exceptions',
  list: (dependencies, limit) => listPaymentExceptions(dependencies.sql, { status: 'open', afterSequence: null, limit }),
  render,
};
