// The refund request form of one paid order: an amount (empty: all that is left to refund) and a
// reason. One Idempotency-Key per opening of the form, so a second press of Send is the same request.
import { useEffect, useState } from 'preact/hooks';
import { formatMoney } from '../../format.ts';
import { defineMessages, type Locale } from '../../i18n.ts';
import { newIdempotencyKey } from '../../api.ts';
import type { Order, Problem, TabCalls } from './calls.ts';
import { Dialog } from './confirm-dialog.tsx';
import { problemText } from './problem.ts';

/** As the API takes it (refunds.ts). */
const maximumReasonLength = 500;

const t = defineMessages({
  en: {
    title: 'Request a refund',
    summary: 'Order {order}: you paid {paid}.',
    amount: 'Amount to refund ({currency})',
    amountHint: 'Leave empty to refund all that is left of the payment.',
    reason: 'Reason',
    send: 'Send request',
    close: 'Close',
    sending: 'Sending…',
  },
  'zh-CN': {
    title: '申请退款',
    summary: '订单 {order}：您支付了 {paid}。',
    amount: '退款金额（{currency}）',
    amountHint: '留空则退还该笔付款的全部剩余金额。',
    reason: '退款原因',
    send: '提交申请',
    close: '关闭',
    sending: '正在提交…',
  },
});

export interface RefundDialogProps {
  /** The order to refund; null while the form is closed. */
  order: Order | null;
  locale: Locale;
  calls: TabCalls;
  onClose(): void;
  onRequested(order: Order): void;
}

export function RefundDialog({ order, locale, calls, onClose, onRequested }: RefundDialogProps) {
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [idempotencyKey, setIdempotencyKey] = useState('');

  useEffect(() => {
    if (order === null) return;
    setAmount('');
    setReason('');
    setProblem(null);
    setIdempotencyKey(newIdempotencyKey('refund'));
  }, [order?.id]);

  async function send(event: Event) {
    event.preventDefault();
    if (order === null) return;
    setBusy(true);
    const trimmed = amount.trim();
    const outcome = await calls.requestRefund(order.id, { ...(trimmed === '' ? {} : { amount: trimmed }), reason }, idempotencyKey);
    setBusy(false);
    if (outcome.problem !== undefined) return setProblem(outcome.problem);
    onRequested(order);
  }

  const invalid = (field: string) => (problem?.field === field ? { 'aria-invalid': true, 'aria-describedby': 'refund-problem' } : {});
  return (
    <Dialog titleId="refund-title" title={t('title')} open={order !== null} onClose={onClose}>
      {order === null ? null : (
        <form onSubmit={(event) => void send(event)} noValidate>
          <p>{t('summary', { order: `…${order.id.slice(-8)}`, paid: formatMoney(order.pay_amount, order.currency, locale) })}</p>
          <div class="field">
            <label for="refund-amount">{t('amount', { currency: order.currency })}</label>
            <input
              id="refund-amount"
              name="amount"
              inputMode="decimal"
              autoComplete="off"
              value={amount}
              aria-describedby="refund-amount-hint"
              onInput={(event) => setAmount((event.currentTarget as HTMLInputElement).value)}
              {...invalid('amount')}
            />
            <p id="refund-amount-hint" class="hint">
              {t('amountHint')}
            </p>
          </div>
          <div class="field">
            <label for="refund-reason">{t('reason')}</label>
            <textarea
              id="refund-reason"
              name="reason"
              required
              rows={3}
              maxLength={maximumReasonLength}
              value={reason}
              onInput={(event) => setReason((event.currentTarget as HTMLTextAreaElement).value)}
              {...invalid('reason')}
            />
          </div>
          {problem === null ? null : (
            <p id="refund-problem" class="error" role="alert">
              {problemText(problem, locale)}
            </p>
          )}
          <div class="tab-actions">
            <button type="button" class="button button-secondary" onClick={onClose} disabled={busy}>
              {t('close')}
            </button>
            <button type="submit" class="button" disabled={busy}>
              {busy ? t('sending') : t('send')}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
