// The auto-recharge tab: the settings (threshold, amount, monthly limit, the card, enabling with the
// customer's consent) with the status the account's workflow reports, and the saved cards (add one
// through the provider's setup page, make one the default, remove one after a confirmation).
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { PortalContext } from '../context.ts';
import { formatDateTime, formatMoney } from '../format.ts';
import { defineMessages } from '../i18n.ts';
import { tabCalls, type AutoRecharge, type Problem, type SavedCard } from './parts/calls.ts';
import { FormStatus } from './parts/form-status.tsx';
import { SavedCards } from './parts/saved-cards.tsx';
import './parts/tabs.css';

const t = defineMessages({
  en: {
    title: 'Auto-recharge',
    intro: 'Top your balance up automatically from a saved card when it runs low.',
    loading: 'Loading auto-recharge…',
    settings: 'Settings',
    enabled: 'Turn auto-recharge on',
    threshold: 'When the balance falls below ({currency})',
    amount: 'Charge this amount ({currency})',
    monthlyLimit: 'At most this much a month ({currency})',
    monthlyLimitHint: 'Calendar months in UTC. Nothing more is charged once it is reached.',
    card: 'Card to charge',
    defaultCard: 'The default card',
    consent: 'I agree that my card is charged {amount} whenever my balance falls below {threshold}, at most {limit} a calendar month, until I turn auto-recharge off.',
    consentMissing: 'Tick the box to agree to the charges before turning auto-recharge on.',
    save: 'Save settings',
    saving: 'Saving…',
    saved: 'Settings saved.',
    status: 'Status',
    'state.active': 'Active',
    'state.paused': 'Paused',
    'state.disabled': 'Off',
    reason: 'Reason: {reason}',
    spent: 'Charged this month: {spent} of {limit}',
    lastAttempt: 'Last attempt {time}: {outcome}',
    lastAttemptAmount: 'Last attempt {time}: {outcome}, {amount}',
    'outcome.succeeded': 'succeeded',
    'outcome.declined': 'declined',
    'outcome.authentication_required': 'needs your confirmation (see the email)',
    'outcome.failed': 'failed',
    'outcome.skipped': 'skipped',
    consentGiven: 'Agreed {time}',
    notSetUp: 'Auto-recharge is not set up yet.',
  },
  'zh-CN': {
    title: '自动充值',
    intro: '余额不足时，自动从已保存的银行卡充值。',
    loading: '正在加载自动充值…',
    settings: '设置',
    enabled: '开启自动充值',
    threshold: '当余额低于（{currency}）',
    amount: '每次充值金额（{currency}）',
    monthlyLimit: '每月最多充值（{currency}）',
    monthlyLimitHint: '按 UTC 自然月计算，达到上限后不再扣款。',
    card: '扣款银行卡',
    defaultCard: '默认银行卡',
    consent: '我同意：每当余额低于 {threshold} 时，从我的银行卡扣款 {amount}，每个自然月最多 {limit}，直至我关闭自动充值。',
    consentMissing: '开启自动充值前，请勾选同意扣款授权。',
    save: '保存设置',
    saving: '正在保存…',
    saved: '设置已保存。',
    status: '状态',
    'state.active': '已开启',
    'state.paused': '已暂停',
    'state.disabled': '已关闭',
    reason: '原因：{reason}',
    spent: '本月已扣款：{spent}，上限 {limit}',
    lastAttempt: '最近一次（{time}）：{outcome}',
    lastAttemptAmount: '最近一次（{time}）：{outcome}，{amount}',
    'outcome.succeeded': '成功',
    'outcome.declined': '被拒绝',
    'outcome.authentication_required': '需要您确认（请查看邮件）',
    'outcome.failed': '失败',
    'outcome.skipped': '已跳过',
    consentGiven: '同意时间：{time}',
    notSetUp: '尚未设置自动充值。',
  },
});

interface SettingsForm {
  enabled: boolean;
  threshold: string;
  amount: string;
  monthlyLimit: string;
  /** '' for the default card. */
  cardId: string;
  consent: boolean;
}

/** The API's six decimals shortened for an input: "10.000000" → "10", "12.500000" → "12.5". */
function inputAmount(value: string | null): string {
  if (value === null) return '';
  return value.includes('.') ? value.replace(/0+$/, '').replace(/\.$/, '') : value;
}

function formOf(view: AutoRecharge | null): SettingsForm {
  return {
    enabled: view?.enabled ?? false,
    threshold: inputAmount(view?.threshold ?? null),
    amount: inputAmount(view?.amount ?? null),
    monthlyLimit: inputAmount(view?.monthly_limit ?? null),
    cardId: view?.payment_method_id ?? '',
    consent: false,
  };
}

export function AutoRechargeTab({ api, session, locale }: PortalContext) {
  const calls = useMemo(() => tabCalls(api), [api]);
  const [view, setView] = useState<AutoRecharge | null | undefined>(undefined);
  const [cards, setCards] = useState<SavedCard[] | null>(null);
  const [form, setForm] = useState<SettingsForm>(formOf(null));
  const [problem, setProblem] = useState<Problem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    let current = true;
    void Promise.all([calls.getAutoRecharge(), calls.listCards()]).then(([settings, saved]) => {
      if (!current) return;
      if (settings.problem !== undefined && settings.problem.code !== 'not_found') setProblem(settings.problem);
      const loaded = settings.data ?? null;
      setView(loaded);
      setForm(formOf(loaded));
      if (saved.problem !== undefined) setProblem(saved.problem);
      else setCards(saved.data.data);
    });
    return () => {
      current = false;
    };
  }, [calls, reloads]);

  const money = (amount: string) => formatMoney(amount === '' ? '0' : amount, session.currency, locale);
  const change = (part: Partial<SettingsForm>) => setForm((current) => ({ ...current, ...part }));

  async function save(event: Event) {
    event.preventDefault();
    setNotice(null);
    if (form.enabled && !form.consent) return setProblem({ code: 'consent_required', message: t('consentMissing'), field: 'consent' });
    setBusy(true);
    const outcome = await calls.putAutoRecharge({
      enabled: form.enabled,
      threshold: form.threshold.trim(),
      amount: form.amount.trim(),
      monthly_limit: form.monthlyLimit.trim(),
      payment_method_id: form.cardId === '' ? null : form.cardId,
      // Kept as they are: the portal does not offer them, and a save must not reset them to the defaults.
      ...(view == null ? {} : { cooldown_seconds: view.cooldown_seconds, maximum_per_day: view.maximum_per_day }),
      // The portal's page is the customer's browser: the API records its address and user agent.
      ...(form.enabled ? { consent: {} } : {}),
    });
    setBusy(false);
    if (outcome.problem !== undefined) return setProblem(outcome.problem);
    setProblem(null);
    setView(outcome.data);
    setForm(formOf(outcome.data));
    setNotice(t('saved'));
  }

  if (view === undefined) return <section class="card"><p>{t('loading')}</p></section>;
  const invalid = (field: string) => (problem?.field === field ? { 'aria-invalid': true, 'aria-describedby': 'auto-recharge-problem' } : {});
  return (
    <>
      <section class="card" aria-labelledby="auto-recharge-title">
        <h2 id="auto-recharge-title">{t('title')}</h2>
        <p>{t('intro')}</p>
        <Status view={view} locale={locale} />
        <form onSubmit={(event) => void save(event)} noValidate aria-labelledby="auto-recharge-settings">
          <h3 id="auto-recharge-settings">{t('settings')}</h3>
          <div class="checkbox">
            <input id="auto-recharge-enabled" type="checkbox" checked={form.enabled} onChange={(event) => change({ enabled: (event.currentTarget as HTMLInputElement).checked })} />
            <label for="auto-recharge-enabled">{t('enabled')}</label>
          </div>
          <div class="field">
            <label for="auto-recharge-threshold">{t('threshold', { currency: session.currency })}</label>
            <input id="auto-recharge-threshold" inputMode="decimal" autoComplete="off" value={form.threshold} onInput={(event) => change({ threshold: (event.currentTarget as HTMLInputElement).value })} {...invalid('threshold')} />
          </div>
          <div class="field">
            <label for="auto-recharge-amount">{t('amount', { currency: session.currency })}</label>
            <input id="auto-recharge-amount" inputMode="decimal" autoComplete="off" value={form.amount} onInput={(event) => change({ amount: (event.currentTarget as HTMLInputElement).value })} {...invalid('amount')} />
          </div>
          <div class="field">
            <label for="auto-recharge-limit">{t('monthlyLimit', { currency: session.currency })}</label>
            <input
              id="auto-recharge-limit"
              inputMode="decimal"
              autoComplete="off"
              aria-describedby="auto-recharge-limit-hint"
              value={form.monthlyLimit}
              onInput={(event) => change({ monthlyLimit: (event.currentTarget as HTMLInputElement).value })}
              {...invalid('monthly_limit')}
            />
            <p id="auto-recharge-limit-hint" class="hint">
              {t('monthlyLimitHint')}
            </p>
          </div>
          <div class="field">
            <label for="auto-recharge-card">{t('card')}</label>
            <select id="auto-recharge-card" value={form.cardId} onChange={(event) => change({ cardId: (event.currentTarget as HTMLSelectElement).value })} {...invalid('payment_method_id')}>
              <option value="">{t('defaultCard')}</option>
              {(cards ?? []).map((card) => (
                <option value={card.id} key={card.id}>
                  {`${card.brand.toUpperCase()} •••• ${card.last4}`}
                </option>
              ))}
            </select>
          </div>
          {form.enabled ? (
            <div class="checkbox">
              <input id="auto-recharge-consent" type="checkbox" checked={form.consent} onChange={(event) => change({ consent: (event.currentTarget as HTMLInputElement).checked })} {...invalid('consent')} />
              <label for="auto-recharge-consent">{t('consent', { amount: money(form.amount), threshold: money(form.threshold), limit: money(form.monthlyLimit) })}</label>
            </div>
          ) : null}
          <FormStatus problemId="auto-recharge-problem" problem={problem} notice={notice} busy={busy} locale={locale} saveLabel={t('save')} savingLabel={t('saving')} />
        </form>
      </section>
      <SavedCards cards={cards} calls={calls} locale={locale} onChanged={() => setReloads((count) => count + 1)} />
    </>
  );
}

/** What the account's workflow reports: on, paused or off and why, this month's charges, the last attempt. */
function Status({ view, locale }: { view: AutoRecharge | null; locale: PortalContext['locale'] }) {
  if (view === null) return <p>{t('notSetUp')}</p>;
  const money = (amount: string) => formatMoney(amount, view.currency, locale);
  const last = view.last_attempt;
  return (
    <dl class="tab-facts">
      <dt>{t('status')}</dt>
      <dd>
        <span class={`badge-${view.state}`}>{t(`state.${view.state}`)}</span>
        {view.paused_reason === null ? null : <span> {t('reason', { reason: view.paused_reason })}</span>}
      </dd>
      <dd>{t('spent', { spent: money(view.spent_this_month), limit: money(view.monthly_limit) })}</dd>
      {last === null ? null : (
        <dd>
          {last.amount === null
            ? t('lastAttempt', { time: formatDateTime(last.time, locale), outcome: t(`outcome.${last.outcome}`) })
            : t('lastAttemptAmount', { time: formatDateTime(last.time, locale), outcome: t(`outcome.${last.outcome}`), amount: money(last.amount) })}
        </dd>
      )}
      {view.consent === null ? null : <dd>{t('consentGiven', { time: formatDateTime(view.consent.time, locale) })}</dd>}
    </dl>
  );
}
