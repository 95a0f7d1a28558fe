// The account flows tab: every movement of the balance, newest first, a page at a time, filtered by
// All / Recharge / Consume / Refund; each with its date and time in the browser's time zone, its signed
// amount, the balance after it, and for usage the user and description the platform recorded.
import { useMemo, useState } from 'preact/hooks';
import type { PortalContext } from '../context.ts';
import { formatDate, formatMoney, formatTime } from '../format.ts';
import { defineMessages } from '../i18n.ts';
import { tabCalls, type Flow, type Page, type Problem } from './parts/calls.ts';
import { Pager, useCursorPages } from './parts/pager.tsx';
import { useLatestOutcome } from './parts/use-latest-outcome.ts';
import { problemText } from './parts/problem.ts';
import './parts/tabs.css';

const pageSize = 20;

/** The filters offered, each a `type` of GET /v1/account-flows (null: all). */
const filters = [
  { id: 'all', type: null },
  { id: 'recharge', type: 'recharge' },
  { id: 'consume', type: 'consume' },
  { id: 'refund', type: 'refund' },
] as const;
type FilterId = (typeof filters)[number]['id'];

const t = defineMessages({
  en: {
    title: 'Account flows',
    filter: 'Show',
    'filter.all': 'All',
    'filter.recharge': 'Recharge',
    'filter.consume': 'Consume',
    'filter.refund': 'Refund',
    caption: 'Movements of your balance, newest first',
    columnDate: 'Date',
    columnTime: 'Time',
    columnType: 'Type',
    columnAmount: 'Amount',
    columnBalance: 'Balance after',
    columnUser: 'User',
    columnDescription: 'Description',
    'type.recharge': 'Recharge',
    'type.consume': 'Consume',
    'type.refund': 'Refund',
    'type.refund_reversal': 'Refund reversed',
    'type.adjustment': 'Adjustment',
    'type.dispute': 'Dispute',
    'type.dispute_reversal': 'Dispute reversed',
    'type.hold': 'Held',
    'type.release': 'Released',
    loading: 'Loading account flows…',
    empty: 'Nothing here yet.',
    noUser: '—',
    order: 'Order {order}',
    pages: 'Pages of account flows',
  },
  'zh-CN': {
    title: '账户流水',
    filter: '显示',
    'filter.all': '全部',
    'filter.recharge': '充值',
    'filter.consume': '消费',
    'filter.refund': '退款',
    caption: '余额变动记录，最新的在前',
    columnDate: '日期',
    columnTime: '时间',
    columnType: '类型',
    columnAmount: '金额',
    columnBalance: '变动后余额',
    columnUser: '用户',
    columnDescription: '说明',
    'type.recharge': '充值',
    'type.consume': '消费',
    'type.refund': '退款',
    'type.refund_reversal': '退款撤回',
    'type.adjustment': '调整',
    'type.dispute': '争议扣回',
    'type.dispute_reversal': '争议退回',
    'type.hold': '冻结',
    'type.release': '解冻',
    loading: '正在加载账户流水…',
    empty: '暂无记录。',
    noUser: '—',
    order: '订单 {order}',
    pages: '账户流水分页',
  },
});

export function AccountFlowsTab({ api, session, locale }: PortalContext) {
  const calls = useMemo(() => tabCalls(api), [api]);
  const [filter, setFilter] = useState<FilterId>('all');
  const pages = useCursorPages();
  const [page, setPage] = useState<Page<Flow> | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  useLatestOutcome(
    () => calls.listFlows(filters.find((each) => each.id === filter)?.type ?? null, pages.cursor, pageSize),
    [calls, filter, pages.cursor],
    setPage,
    setProblem,
  );

  return (
    <section class="card" aria-labelledby="flows-title">
      <h2 id="flows-title">{t('title')}</h2>
      <fieldset class="tab-segments">
        <legend>{t('filter')}</legend>
        {filters.map((each) => (
          <label key={each.id} class={filter === each.id ? 'tab-segment tab-segment-selected' : 'tab-segment'}>
            <input
              type="radio"
              name="flow-filter"
              value={each.id}
              checked={filter === each.id}
              onChange={() => {
                setFilter(each.id);
                pages.reset();
              }}
            />
            {t(`filter.${each.id}`)}
          </label>
        ))}
      </fieldset>
      {problem === null ? null : (
        <p class="error" role="alert">
          {problemText(problem, locale)}
        </p>
      )}
      {page === null ? (
        <p>{t('loading')}</p>
      ) : page.data.length === 0 ? (
        <p>{t('empty')}</p>
      ) : (
        // Focusable, so a keyboard can scroll a table wider than the screen (it has nothing else to focus).
        <div class="tab-scroll" tabIndex={0} role="region" aria-label={t('caption')}>
          <table class="table">
            <caption class="sr-only">{t('caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('columnDate')}</th>
                <th scope="col">{t('columnTime')}</th>
                <th scope="col">{t('columnType')}</th>
                <th scope="col" class="tab-number">
                  {t('columnAmount')}
                </th>
                <th scope="col" class="tab-number">
                  {t('columnBalance')}
                </th>
                <th scope="col">{t('columnUser')}</th>
                <th scope="col">{t('columnDescription')}</th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((flow) => (
                <tr key={flow.id} data-flow-type={flow.type}>
                  <td class="tab-nowrap">
                    <time dateTime={flow.created_at}>{formatDate(flow.created_at, locale)}</time>
                  </td>
                  <td class="tab-nowrap">{formatTime(flow.created_at, locale)}</td>
                  <td>{t(`type.${flow.type}`)}</td>
                  <td class={flow.amount.startsWith('-') ? 'tab-number tab-money-out' : 'tab-number tab-money-in'}>{formatMoney(flow.amount, session.currency, locale)}</td>
                  <td class="tab-number">{formatMoney(flow.balance_after, session.currency, locale)}</td>
                  <td>{flow.user ?? t('noUser')}</td>
                  <td>{flow.description ?? (flow.order_id === null ? '' : t('order', { order: `…${flow.order_id.slice(-8)}` }))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page === null ? null : (
        <Pager pages={pages} nextCursor={page.next_cursor} label={t('pages')} />
      )}
    </section>
  );
}
