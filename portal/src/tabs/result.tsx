// The result tab (/portal?tab=result&order_id=…), where a checkout sends the customer back: what was
// paid and what the balance receives, the order's status polled until it is credited (or ends
// otherwise), the new balance once credited, and the way back to the platform.
import { useEffect, useState } from 'preact/hooks';
import type { RefillObject } from '../../../client/index.ts';
import { ApiProblem } from '../api.ts';
import type { PortalContext } from '../context.ts';
import { formatDateTime, formatMoney } from '../format.ts';
import { defineMessages } from '../i18n.ts';

const t = defineMessages({
  en: {
    heading: 'Payment result',
    noOrder: 'No order is named here. Your orders are listed in the portal.',
    loading: 'Loading your order…',
    failed: 'The order could not be loaded: {reason}',
    status: 'Status',
    pending: 'Waiting for your payment',
    processing: 'Payment received; adding the credit…',
    credited: 'Credited to your balance',
    failedStatus: 'The payment failed',
    expired: 'The order expired before it was paid',
    cancelled: 'The order was cancelled',
    paid: 'Amount paid',
    toPay: 'Amount to pay',
    credit: 'Credit to your balance',
    corrected: 'Credit added (corrected: {reason})',
    bonus: 'Including bonus',
    discount: 'Discount ({code})',
    newBalance: 'New balance',
    creditedAt: 'Credited {time}',
    order: 'Order {id}',
    stillWaiting: 'This page updates by itself.',
    back: 'Back to {site}',
    again: 'Top up again',
  },
  'zh-CN': {
    heading: '支付结果',
    noOrder: '此处未指定订单。您可以在账单中心查看订单。',
    loading: '正在加载订单…',
    failed: '无法加载订单：{reason}',
    status: '状态',
    pending: '等待支付',
    processing: '已收到付款，正在入账…',
    credited: '已充值到余额',
    failedStatus: '支付失败',
    expired: '订单在支付前已过期',
    cancelled: '订单已取消',
    paid: '实付金额',
    toPay: '应付金额',
    credit: '到账额度',
    corrected: '实际到账（已更正：{reason}）',
    bonus: '含赠送',
    discount: '优惠（{code}）',
    newBalance: '最新余额',
    creditedAt: '到账时间 {time}',
    order: '订单 {id}',
    stillWaiting: '此页面会自动更新。',
    back: '返回 {site}',
    again: '再次充值',
  },
});

type Order = RefillObject<'Order'>;

const pollIntervalMilliseconds = 2_000;
/** Long enough for any checkout to come back; the page stops asking after that and says so by staying as it is. */
const maximumPolls = 300;
const zero = /^0(\.0+)?$/;

function isSettled(order: Order): boolean {
  return order.status === 'failed' || order.status === 'expired' || order.status === 'cancelled' || (order.status === 'succeeded' && order.credited_at !== null);
}

function statusText(order: Order): string {
  if (order.status === 'succeeded') return order.credited_at === null ? t('processing') : t('credited');
  const texts: Record<Order['status'], string> = {
    pending: t('pending'),
    processing: t('processing'),
    succeeded: t('credited'),
    failed: t('failedStatus'),
    expired: t('expired'),
    cancelled: t('cancelled'),
  };
  return texts[order.status];
}

/** The order, asked again every two seconds until it is settled. */
function usePolledOrder(props: PortalContext, orderId: string | undefined) {
  const [order, setOrder] = useState<Order | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    if (orderId === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let polls = 0;
    let current = true;
    const poll = async () => {
      polls += 1;
      try {
        const answer = await props.api.data(props.api.client.GET('/v1/topups/{id}', { params: { path: { id: orderId } } }));
        if (!current) return;
        setOrder(answer);
        if (!isSettled(answer) && polls < maximumPolls) timer = setTimeout(poll, pollIntervalMilliseconds);
      } catch (error) {
        if (current) setProblem(error instanceof ApiProblem ? error.message : String(error));
      }
    };
    void poll();
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [orderId]);
  return { order, problem };
}

export function ResultTab(props: PortalContext) {
  const orderId = props.query.order_id;
  const { order, problem } = usePolledOrder(props, orderId);
  const [balance, setBalance] = useState<string | null>(null);
  const credited = order !== null && order.status === 'succeeded' && order.credited_at !== null;

  useEffect(() => {
    if (!credited) return;
    props.api
      .data(props.api.client.GET('/v1/balance'))
      .then((answer) => setBalance(answer.balance))
      .catch(() => setBalance(null));
  }, [credited]);

  const site = new URL(props.session.return_url).host;
  const back = (
    <div class="actions">
      <a class="button" href={props.session.return_url}>
        {t('back', { site })}
      </a>
      <button type="button" class="button-secondary" onClick={() => props.navigate('top-up')}>
        {t('again')}
      </button>
    </div>
  );
  if (orderId === undefined) return <div><h2>{t('heading')}</h2><p>{t('noOrder')}</p>{back}</div>;
  if (problem !== null) return <div><h2>{t('heading')}</h2><p class="error" role="alert">{t('failed', { reason: problem })}</p>{back}</div>;
  if (order === null) return <p class="notice" role="status">{t('loading')}</p>;

  const money = (amount: string) => formatMoney(amount, order.currency, props.locale);
  const paid = order.paid_at !== null || order.status === 'succeeded';
  return (
    <div>
      <h2>{t('heading')}</h2>
      <section class="card" aria-labelledby="result-status-label">
        <p id="result-status-label" class="figure-label">{t('status')}</p>
        <p class="figure" role="status" aria-live="polite" data-testid="result-status">
          <span class={`badge-${credited ? 'credited' : order.status}`}>{statusText(order)}</span>
        </p>
        {isSettled(order) ? null : <p class="notice">{t('stillWaiting')}</p>}
        <table class="table">
          <tbody>
            <tr>
              <th scope="row">{paid ? t('paid') : t('toPay')}</th>
              <td class="amount" data-testid="result-paid">{money(order.pay_amount)}</td>
            </tr>
            {zero.test(order.discount) ? null : (
              <tr>
                <th scope="row">{t('discount', { code: order.promo_code ?? '' })}</th>
                <td class="amount">−{money(order.discount)}</td>
              </tr>
            )}
            <tr class="total">
              <th scope="row">{order.credit_correction === null ? t('credit') : t('corrected', { reason: order.credit_correction.reason })}</th>
              <td class="amount" data-testid="result-credit">{money(order.credit)}</td>
            </tr>
            {zero.test(order.bonus) ? null : (
              <tr>
                <th scope="row">{t('bonus')}</th>
                <td class="amount">{money(order.bonus)}</td>
              </tr>
            )}
            {balance === null ? null : (
              <tr class="total">
                <th scope="row">{t('newBalance')}</th>
                <td class="amount" data-testid="result-balance">{money(balance)}</td>
              </tr>
            )}
          </tbody>
        </table>
        {order.credited_at === null ? null : <p class="notice">{t('creditedAt', { time: formatDateTime(order.credited_at, props.locale) })}</p>}
        <p class="notice">{t('order', { id: order.id })}</p>
      </section>
      {back}
    </div>
  );
}
