// The overview tab: the account's balance, what is held, and what is available to spend.
import { useEffect, useState } from 'preact/hooks';
import type { RefillObject } from '../../../client/index.ts';
import { ApiProblem } from '../api.ts';
import type { PortalContext } from '../context.ts';
import { formatDateTime, formatMoney } from '../format.ts';
import { defineMessages } from '../i18n.ts';

const t = defineMessages({
  en: {
    heading: 'Your balance',
    balance: 'Balance',
    held: 'Held',
    heldHint: 'Reserved for usage in progress',
    available: 'Available',
    updated: 'Updated {time}',
    topUp: 'Top up',
    loading: 'Loading your balance…',
    failed: 'Your balance could not be loaded: {reason}',
    retry: 'Try again',
  },
  'zh-CN': {
    heading: '您的余额',
    balance: '余额',
    held: '冻结',
    heldHint: '为进行中的使用预留',
    available: '可用',
    updated: '更新于 {time}',
    topUp: '充值',
    loading: '正在加载余额…',
    failed: '无法加载余额：{reason}',
    retry: '重试',
  },
});

type Balance = RefillObject<'Balance'>;

export function OverviewTab(props: PortalContext) {
  const [balance, setBalance] = useState<Balance | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    setProblem(null);
    props.api
      .data(props.api.client.GET('/v1/balance'))
      .then((answer) => current && setBalance(answer))
      .catch((error: unknown) => current && setProblem(error instanceof ApiProblem ? error.message : String(error)));
    return () => {
      current = false;
    };
  }, [attempt]);

  if (problem !== null) {
    return (
      <div class="card">
        <p class="error" role="alert">{t('failed', { reason: problem })}</p>
        <button type="button" class="button-secondary" onClick={() => setAttempt(attempt + 1)}>
          {t('retry')}
        </button>
      </div>
    );
  }
  if (balance === null) return <p class="notice" role="status">{t('loading')}</p>;
  const money = (amount: string) => formatMoney(amount, balance.currency, props.locale);
  return (
    <div>
      <h2>{t('heading')}</h2>
      <div class="cards">
        <div class="card">
          <p class="figure-label">{t('balance')}</p>
          <p class="figure" data-testid="balance">{money(balance.balance)}</p>
        </div>
        <div class="card">
          <p class="figure-label">{t('held')}</p>
          <p class="figure" data-testid="held">{money(balance.held)}</p>
          <p class="figure-label">{t('heldHint')}</p>
        </div>
        <div class="card">
          <p class="figure-label">{t('available')}</p>
          <p class="figure" data-testid="available">{money(balance.available)}</p>
        </div>
      </div>
      <p class="notice">{t('updated', { time: formatDateTime(balance.updated_at, props.locale) })}</p>
      <div class="actions">
        <button type="button" class="button" onClick={() => props.navigate('top-up')}>
          {t('topUp')}
        </button>
      </div>
    </div>
  );
}
