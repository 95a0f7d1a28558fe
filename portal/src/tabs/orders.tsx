// The orders tab: the account's top-ups, newest first, a page at a time, filtered by status. A pending
// order can be completed (its checkout again) or cancelled after a confirmation; a paid one has its
// invoice, the provider's receipt and a refund request, and every refund of it shows its live status.
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { PortalContext } from '../context.ts';
import { formatDateTime, formatMoney } from '../format.ts';
import { defineMessages } from '../i18n.ts';
import { tabCalls, type Order, type OrderStatus, type Page, type Problem, type TabCalls } from './parts/calls.ts';
import { ConfirmDialog } from './parts/confirm-dialog.tsx';
import { Pager, useCursorPages } from './parts/pager.tsx';
import { useLatestOutcome } from './parts/use-latest-outcome.ts';
import { RefundDialog } from './parts/refund-dialog.tsx';
import { problemText } from './parts/problem.ts';
import { isRefundSettled, refundStatusText } from './parts/refund-status.ts';
import './parts/tabs.css';

const pageSize = 10;
/** How often a page with a refund or payment still moving is fetched again, and for how long at most. */
const refreshIntervalMilliseconds = 2_000;
const maximumRefreshes = 100;

const orderStatuses: readonly OrderStatus[] = ['pending', 'processing', 'succeeded', 'failed', 'expired', 'cancelled'];

const t = defineMessages({
  en: {
    title: 'Orders',
    statusFilter: 'Status',
    allStatuses: 'All',
    'status.pending': 'Pending payment',
    'status.processing': 'Processing',
    'status.succeeded': 'Completed',
    'status.failed': 'Failed',
    'status.expired': 'Expired',
    'status.cancelled': 'Cancelled',
    caption: 'Your top-up orders, newest first',
    columnOrder: 'Order',
    columnDate: 'Date',
    columnPaid: 'Amount paid',
    columnCredit: 'Credit',
    columnStatus: 'Status',
    columnActions: 'Actions',
    loading: 'Loading orders…',
    empty: 'No orders yet.',
    emptyFiltered: 'No orders with this status.',
    complete: 'Complete order',
    completeLabel: 'Complete order {order}',
    cancel: 'Cancel',
    cancelLabel: 'Cancel order {order}',
    invoice: 'Invoice',
    invoiceLabel: 'Download the invoice of order {order}',
    receipt: 'Receipt',
    receiptLabel: 'The payment receipt of order {order} (opens in a new tab)',
    refund: 'Request refund',
    refundLabel: 'Request refund of order {order}',
    refundLine: 'Refund of {amount}: {status}',
    creditNote: 'Credit note',
    creditNoteLabel: 'Download the credit note of the refund of {amount}',
    confirmTitle: 'Cancel this order?',
    confirmQuestion: 'Order {order} of {amount} will be cancelled and can no longer be paid. This cannot be undone.',
    confirmYes: 'Cancel order',
    confirmNo: 'Keep order',
    cancelled: 'Order {order} was cancelled.',
    refundRequested: 'Your refund request for order {order} was sent.',
    pages: 'Pages of orders',
    reviewHeld: 'Held for review',
  },
  'zh-CN': {
    title: '订单',
    statusFilter: '状态',
    allStatuses: '全部',
    'status.pending': '待支付',
    'status.processing': '处理中',
    'status.succeeded': '已完成',
    'status.failed': '失败',
    'status.expired': '已过期',
    'status.cancelled': '已取消',
    caption: '您的充值订单，最新的在前',
    columnOrder: '订单',
    columnDate: '日期',
    columnPaid: '支付金额',
    columnCredit: '到账额度',
    columnStatus: '状态',
    columnActions: '操作',
    loading: '正在加载订单…',
    empty: '还没有订单。',
    emptyFiltered: '没有此状态的订单。',
    complete: '完成订单',
    completeLabel: '完成订单 {order}',
    cancel: '取消',
    cancelLabel: '取消订单 {order}',
    invoice: '发票',
    invoiceLabel: '下载订单 {order} 的发票',
    receipt: '收据',
    receiptLabel: '订单 {order} 的支付收据（在新标签页中打开）',
    refund: '申请退款',
    refundLabel: '为订单 {order} 申请退款',
    refundLine: '退款 {amount}：{status}',
    creditNote: '红字发票',
    creditNoteLabel: '下载退款 {amount} 的红字发票',
    confirmTitle: '取消此订单？',
    confirmQuestion: '订单 {order}（{amount}）将被取消，之后无法再支付。此操作无法撤销。',
    confirmYes: '取消订单',
    confirmNo: '保留订单',
    cancelled: '订单 {order} 已取消。',
    refundRequested: '订单 {order} 的退款申请已提交。',
    pages: '订单分页',
    reviewHeld: '审核中',
  },
});

/** The short form of an order id people can compare: its last eight characters. */
function shortId(orderId: string): string {
  return `…${orderId.slice(-8)}`;
}

/** Whether the page shows something that is still moving (a payment being confirmed, a refund in progress). */
function isMoving(orders: readonly Order[]): boolean {
  return orders.some((order) => order.status === 'processing' || order.refunds.some((refund) => !isRefundSettled(refund.status)));
}

export function OrdersTab({ api, locale, navigate }: PortalContext) {
  const calls = useMemo(() => tabCalls(api), [api]);
  const [status, setStatus] = useState<OrderStatus | null>(null);
  const pages = useCursorPages();
  const [page, setPage] = useState<Page<Order> | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  const [cancelling, setCancelling] = useState<Order | null>(null);
  const [cancelBusy, setCancelBusy] = useState(false);
  const [cancelProblem, setCancelProblem] = useState<Problem | null>(null);
  const [refunding, setRefunding] = useState<Order | null>(null);
  const [refreshes, setRefreshes] = useState(0);

  useLatestOutcome(() => calls.listOrders(status, pages.cursor, pageSize), [calls, status, pages.cursor, reloads], setPage, setProblem);

  // A refund or a payment still moving: fetch the page again shortly, a bounded number of times.
  useEffect(() => {
    if (page === null || !isMoving(page.data) || refreshes >= maximumRefreshes) return;
    const timer = setTimeout(() => {
      setRefreshes((count) => count + 1);
      setReloads((count) => count + 1);
    }, refreshIntervalMilliseconds);
    return () => clearTimeout(timer);
  }, [page]);

  const reload = () => setReloads((count) => count + 1);
  const money = (amount: string, currency: string) => formatMoney(amount, currency, locale);

  async function complete(order: Order) {
    setNotice(null);
    const outcome = await calls.resumeOrder(order.id);
    if (outcome.problem !== undefined) return setProblem(outcome.problem);
    if (outcome.data.checkout_url !== null && outcome.data.next_action === null) return window.location.assign(outcome.data.checkout_url);
    // A QR code or bank details: the result page shows how to pay and follows the order.
    navigate('result', { order_id: order.id });
  }

  async function confirmCancel() {
    if (cancelling === null) return;
    setCancelBusy(true);
    const outcome = await calls.cancelOrder(cancelling.id);
    setCancelBusy(false);
    if (outcome.problem !== undefined) return setCancelProblem(outcome.problem);
    setNotice(t('cancelled', { order: shortId(cancelling.id) }));
    setCancelling(null);
    reload();
  }

  async function download(refused: Promise<Problem | null>) {
    setProblem(await refused);
  }

  return (
    <section class="card" aria-labelledby="orders-title">
      <h2 id="orders-title">{t('title')}</h2>
      <div class="field tab-filter">
        <label for="orders-status">{t('statusFilter')}</label>
        <select
          id="orders-status"
          value={status ?? ''}
          onChange={(event) => {
            const chosen = (event.currentTarget as HTMLSelectElement).value;
            setStatus(chosen === '' ? null : (chosen as OrderStatus));
            pages.reset();
          }}
        >
          <option value="">{t('allStatuses')}</option>
          {orderStatuses.map((each) => (
            <option value={each} key={each}>
              {t(`status.${each}`)}
            </option>
          ))}
        </select>
      </div>
      <div aria-live="polite">
        {notice === null ? null : <p class="success">{notice}</p>}
        {problem === null ? null : (
          <p class="error" role="alert">
            {problemText(problem, locale)}
          </p>
        )}
      </div>
      <OrdersList
        page={page}
        filtered={status !== null}
        locale={locale}
        calls={calls}
        onComplete={(order) => void complete(order)}
        onCancel={(order) => {
          setCancelProblem(null);
          setCancelling(order);
        }}
        onRefund={setRefunding}
        onDownload={(refused) => void download(refused)}
      />
      {page === null ? null : (
        <Pager pages={pages} nextCursor={page.next_cursor} label={t('pages')} />
      )}
      <ConfirmDialog
        titleId="orders-cancel-title"
        title={t('confirmTitle')}
        question={cancelling === null ? '' : t('confirmQuestion', { order: shortId(cancelling.id), amount: money(cancelling.pay_amount, cancelling.currency) })}
        confirmLabel={t('confirmYes')}
        keepLabel={t('confirmNo')}
        open={cancelling !== null}
        busy={cancelBusy}
        problem={cancelProblem === null ? null : problemText(cancelProblem, locale)}
        onConfirm={() => void confirmCancel()}
        onClose={() => setCancelling(null)}
      />
      <RefundDialog
        order={refunding}
        locale={locale}
        calls={calls}
        onClose={() => setRefunding(null)}
        onRequested={(order) => {
          setRefunding(null);
          setNotice(t('refundRequested', { order: shortId(order.id) }));
          setRefreshes(0);
          reload();
        }}
      />
    </section>
  );
}

interface OrdersListProps {
  page: Page<Order> | null;
  /** Whether a status filter is on (for the empty list's sentence). */
  filtered: boolean;
  locale: PortalContext['locale'];
  calls: TabCalls;
  onComplete(order: Order): void;
  onCancel(order: Order): void;
  onRefund(order: Order): void;
  onDownload(refused: Promise<Problem | null>): void;
}

/** The page of orders as a table, or what to say while it loads or when it is empty. */
function OrdersList({ page, filtered, locale, calls, onComplete, onCancel, onRefund, onDownload }: OrdersListProps) {
  return (
    <>
      {page === null ? (
        <p>{t('loading')}</p>
      ) : page.data.length === 0 ? (
        <p>{filtered ? t('emptyFiltered') : t('empty')}</p>
      ) : (
        <div class="tab-scroll">
          <table class="table">
            <caption class="sr-only">{t('caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('columnOrder')}</th>
                <th scope="col">{t('columnDate')}</th>
                <th scope="col">{t('columnPaid')}</th>
                <th scope="col">{t('columnCredit')}</th>
                <th scope="col">{t('columnStatus')}</th>
                <th scope="col">{t('columnActions')}</th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((order) => (
                <OrderRow
                  key={order.id}
                  order={order}
                  calls={calls}
                  locale={locale}
                  onComplete={() => onComplete(order)}
                  onCancel={() => onCancel(order)}
                  onRefund={() => onRefund(order)}
                  onDownload={onDownload}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

interface OrderRowProps {
  order: Order;
  calls: TabCalls;
  locale: PortalContext['locale'];
  onComplete(): void;
  onCancel(): void;
  onRefund(): void;
  onDownload(refused: Promise<Problem | null>): void;
}

/** One order: what was paid and credited, its status, what can be done with it, and its refunds. */
function OrderRow({ order, locale, calls, onComplete, onCancel, onRefund, onDownload }: OrderRowProps) {
  const label = shortId(order.id);
  const money = (amount: string, currency: string) => formatMoney(amount, currency, locale);
  return (
    <tr data-order-id={order.id}>
      <td class="tab-nowrap">
        <code title={order.id}>{label}</code>
      </td>
      <td class="tab-nowrap">
        <time dateTime={order.created_at}>{formatDateTime(order.created_at, locale)}</time>
      </td>
      <td>{money(order.pay_amount, order.currency)}</td>
      <td>{money(order.credit, order.currency)}</td>
      <td>
        <span class={`badge-${order.status}`}>{t(`status.${order.status}`)}</span>
        {order.needs_review ? <span class="hint"> {t('reviewHeld')}</span> : null}
        {order.refunds.map((refund) => (
          <div class="tab-refund" key={refund.id} data-refund-id={refund.id}>
            {t('refundLine', { amount: money(refund.amount, order.currency), status: refundStatusText(refund.status, locale) })}
            {refund.status === 'succeeded' ? (
              <button
                type="button"
                class="button-link"
                aria-label={t('creditNoteLabel', { amount: money(refund.amount, order.currency) })}
                onClick={() => onDownload(calls.downloadCreditNote(refund.id, `credit-note-${refund.id}.pdf`))}
              >
                {t('creditNote')}
              </button>
            ) : null}
          </div>
        ))}
      </td>
      <td>
                  <div class="tab-actions">
        {order.status === 'pending' ? (
          <>
            <button type="button" class="button" aria-label={t('completeLabel', { order: label })} onClick={onComplete}>
              {t('complete')}
            </button>
            <button type="button" class="button button-secondary" aria-label={t('cancelLabel', { order: label })} onClick={onCancel}>
              {t('cancel')}
            </button>
          </>
        ) : null}
        {order.invoice_number !== null ? (
          <button
            type="button"
            class="button button-secondary"
            aria-label={t('invoiceLabel', { order: label })}
            onClick={() => onDownload(calls.downloadInvoice(order.id, `${order.invoice_number}.pdf`))}
          >
            {t('invoice')}
          </button>
        ) : null}
        {order.receipt_url !== null ? (
          <a class="button button-secondary" href={order.receipt_url} target="_blank" rel="noopener noreferrer" aria-label={t('receiptLabel', { order: label })}>
            {t('receipt')}
          </a>
        ) : null}
        {order.status === 'succeeded' && order.refunded_amount !== order.pay_amount ? (
          <button type="button" class="button button-secondary" aria-label={t('refundLabel', { order: label })} onClick={onRefund}>
            {t('refund')}
          </button>
        ) : null}
      </div>
                </td>
    </tr>
  );
}
