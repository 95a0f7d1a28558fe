// The balance alerts tab: up to ten thresholds in the account's currency, and whether crossing one
// below also sends an email. Saving no threshold turns the alerts off.
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { PortalContext } from '../context.ts';
import { formatMoney } from '../format.ts';
import { defineMessages } from '../i18n.ts';
import { tabCalls, type BalanceAlerts, type Problem } from './parts/calls.ts';
import { FormStatus } from './parts/form-status.tsx';
import './parts/tabs.css';

/** As the API takes them (balance-alerts.ts). */
const maximumThresholds = 10;

const t = defineMessages({
  en: {
    title: 'Balance alerts',
    intro: 'Get told when your balance falls below an amount you choose.',
    loading: 'Loading balance alerts…',
    current: 'Alerts are set at: {thresholds}.',
    off: 'No alerts are set.',
    thresholds: 'Thresholds',
    threshold: 'Threshold {number} ({currency})',
    removeThreshold: 'Remove threshold {number}',
    add: 'Add a threshold',
    email: 'Also send me an email',
    save: 'Save alerts',
    saving: 'Saving…',
    saved: 'Balance alerts saved.',
    savedOff: 'Balance alerts are off.',
    remove: 'Remove',
  },
  'zh-CN': {
    title: '余额提醒',
    intro: '余额低于您设定的金额时通知您。',
    loading: '正在加载余额提醒…',
    current: '当前提醒金额：{thresholds}。',
    off: '尚未设置提醒。',
    thresholds: '提醒金额',
    threshold: '提醒金额 {number}（{currency}）',
    removeThreshold: '删除提醒金额 {number}',
    add: '添加提醒金额',
    email: '同时发送邮件给我',
    save: '保存提醒',
    saving: '正在保存…',
    saved: '余额提醒已保存。',
    savedOff: '余额提醒已关闭。',
    remove: '删除',
  },
});

/** The API's six decimals shortened for an input: "20.000000" → "20". */
function inputAmount(value: string): string {
  return value.includes('.') ? value.replace(/0+$/, '').replace(/\.$/, '') : value;
}

export function BalanceAlertsTab({ api, session, locale }: PortalContext) {
  const calls = useMemo(() => tabCalls(api), [api]);
  const [stored, setStored] = useState<BalanceAlerts | null>(null);
  const [thresholds, setThresholds] = useState<string[]>([]);
  const [email, setEmail] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function show(settings: BalanceAlerts) {
    setStored(settings);
    setThresholds(settings.thresholds.map(inputAmount));
    setEmail(settings.email);
  }

  useEffect(() => {
    void calls.getBalanceAlerts().then((outcome) => (outcome.problem !== undefined ? setProblem(outcome.problem) : show(outcome.data)));
  }, [calls]);

  async function save(event: Event) {
    event.preventDefault();
    setBusy(true);
    setNotice(null);
    const sent = thresholds.map((each) => each.trim()).filter((each) => each !== '');
    const outcome = await calls.putBalanceAlerts({ thresholds: sent, email });
    setBusy(false);
    if (outcome.problem !== undefined) return setProblem(outcome.problem);
    setProblem(null);
    show(outcome.data);
    setNotice(outcome.data.thresholds.length === 0 ? t('savedOff') : t('saved'));
  }

  if (stored === null && problem === null) return <section class="card"><p>{t('loading')}</p></section>;
  const money = (amount: string) => formatMoney(amount, session.currency, locale);
  /** The field the API names for a threshold: thresholds.<index> of those sent (blank ones are left out). */
  const fieldOf = (index: number) => `thresholds.${thresholds.slice(0, index).filter((each) => each.trim() !== '').length}`;
  return (
    <section class="card" aria-labelledby="balance-alerts-title">
      <h2 id="balance-alerts-title">{t('title')}</h2>
      <p>{t('intro')}</p>
      {stored === null ? null : <p>{stored.thresholds.length === 0 ? t('off') : t('current', { thresholds: stored.thresholds.map(money).join(', ') })}</p>}
      <form onSubmit={(event) => void save(event)} noValidate>
        <fieldset>
          <legend>{t('thresholds')}</legend>
          {thresholds.map((value, index) => (
            <div class="field tab-row" key={index}>
              <label for={`alert-threshold-${index}`}>{t('threshold', { number: String(index + 1), currency: session.currency })}</label>
              <input
                id={`alert-threshold-${index}`}
                inputMode="decimal"
                autoComplete="off"
                value={value}
                onInput={(event) => {
                  const typed = (event.currentTarget as HTMLInputElement).value;
                  setThresholds((current) => current.map((each, at) => (at === index ? typed : each)));
                }}
                {...(problem?.field === fieldOf(index) ? { 'aria-invalid': true, 'aria-describedby': 'balance-alerts-problem' } : {})}
              />
              <button
                type="button"
                class="button button-secondary"
                aria-label={t('removeThreshold', { number: String(index + 1) })}
                onClick={() => setThresholds((current) => current.filter((_each, at) => at !== index))}
              >
                {t('remove')}
              </button>
            </div>
          ))}
          {thresholds.length < maximumThresholds ? (
            <button type="button" class="button button-secondary" onClick={() => setThresholds((current) => [...current, ''])}>
              {t('add')}
            </button>
          ) : null}
        </fieldset>
        <div class="checkbox">
          <input id="alert-email" type="checkbox" checked={email} onChange={(event) => setEmail((event.currentTarget as HTMLInputElement).checked)} />
          <label for="alert-email">{t('email')}</label>
        </div>
        <FormStatus problemId="balance-alerts-problem" problem={problem} notice={notice} busy={busy} locale={locale} saveLabel={t('save')} savingLabel={t('saving')} />
      </form>
    </section>
  );
}
