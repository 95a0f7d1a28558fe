// The saved cards of the auto-recharge tab: each with its brand, last four digits and expiry; make one
// the default, remove one after a confirmation (the API switches off an auto-recharge that charged it and
// says so), and add one through the provider's setup page, which comes back to this tab.
import { useState } from 'preact/hooks';
import { defineMessages, type Locale } from '../../i18n.ts';
import { newIdempotencyKey } from '../../api.ts';
import type { Problem, SavedCard, TabCalls } from './calls.ts';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { problemText } from './problem.ts';

const t = defineMessages({
  en: {
    title: 'Saved cards',
    caption: 'Cards saved for automatic recharges',
    none: 'No saved card yet.',
    columnCard: 'Card',
    columnExpires: 'Expires',
    columnActions: 'Actions',
    isDefault: 'Default',
    makeDefault: 'Make default',
    makeDefaultLabel: 'Make default the card ending {last4}',
    remove: 'Remove',
    removeLabel: 'Remove the card ending {last4}',
    add: 'Add a card',
    adding: 'Opening the card page…',
    confirmTitle: 'Remove this card?',
    confirmQuestion: 'The card ending {last4} will be removed. An auto-recharge that charges it is turned off.',
    confirmYes: 'Remove card',
    confirmNo: 'Keep card',
    removed: 'The card ending {last4} was removed.',
    removedAndOff: 'The card ending {last4} was removed, and auto-recharge, which charged it, is now off.',
    madeDefault: 'The card ending {last4} is now the default.',
  },
  'zh-CN': {
    title: '已保存的银行卡',
    caption: '用于自动充值的银行卡',
    none: '还没有保存银行卡。',
    columnCard: '银行卡',
    columnExpires: '有效期',
    columnActions: '操作',
    isDefault: '默认',
    makeDefault: '设为默认',
    makeDefaultLabel: '将尾号 {last4} 的银行卡设为默认',
    remove: '删除',
    removeLabel: '删除尾号 {last4} 的银行卡',
    add: '添加银行卡',
    adding: '正在打开银行卡页面…',
    confirmTitle: '删除这张银行卡？',
    confirmQuestion: '尾号 {last4} 的银行卡将被删除。使用这张卡的自动充值将被关闭。',
    confirmYes: '删除银行卡',
    confirmNo: '保留银行卡',
    removed: '尾号 {last4} 的银行卡已删除。',
    removedAndOff: '尾号 {last4} 的银行卡已删除，使用它的自动充值已关闭。',
    madeDefault: '尾号 {last4} 的银行卡已设为默认。',
  },
});

/** This page again, on the auto-recharge tab, in the same language: where the setup page sends the customer back. */
function returnUrl(): string {
  const here = new URL(window.location.href);
  const back = new URL('/portal', here.origin);
  back.searchParams.set('tab', 'auto-recharge');
  const language = here.searchParams.get('lang');
  if (language !== null) back.searchParams.set('lang', language);
  return back.toString();
}

export interface SavedCardsProps {
  /** null while loading. */
  cards: SavedCard[] | null;
  calls: TabCalls;
  locale: Locale;
  /** After a change, so the settings and the list are read again. */
  onChanged(): void;
}

export function SavedCards({ cards, calls, locale, onChanged }: SavedCardsProps) {
  const [problem, setProblem] = useState<Problem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [removing, setRemoving] = useState<SavedCard | null>(null);
  const [busy, setBusy] = useState(false);

  async function add() {
    setBusy(true);
    const outcome = await calls.setupCard(returnUrl(), newIdempotencyKey('card-setup'));
    if (outcome.problem !== undefined) {
      setBusy(false);
      return setProblem(outcome.problem);
    }
    window.location.assign(outcome.data.setup_url);
  }

  async function makeDefault(card: SavedCard) {
    const outcome = await calls.makeDefaultCard(card.id);
    if (outcome.problem !== undefined) return setProblem(outcome.problem);
    setProblem(null);
    setNotice(t('madeDefault', { last4: card.last4 }));
    onChanged();
  }

  async function confirmRemove() {
    if (removing === null) return;
    setBusy(true);
    const outcome = await calls.removeCard(removing.id);
    setBusy(false);
    if (outcome.problem !== undefined) return setProblem(outcome.problem);
    setProblem(null);
    setNotice(t(outcome.data.auto_recharge_disabled ? 'removedAndOff' : 'removed', { last4: removing.last4 }));
    setRemoving(null);
    onChanged();
  }

  return (
    <section class="card" aria-labelledby="saved-cards-title">
      <h2 id="saved-cards-title">{t('title')}</h2>
      <div aria-live="polite">
        {notice === null ? null : <p class="success">{notice}</p>}
        {problem === null ? null : (
          <p class="error" role="alert">
            {problemText(problem, locale)}
          </p>
        )}
      </div>
      {cards === null ? null : cards.length === 0 ? (
        <p>{t('none')}</p>
      ) : (
        <table class="table">
          <caption class="sr-only">{t('caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('columnCard')}</th>
              <th scope="col">{t('columnExpires')}</th>
              <th scope="col">{t('columnActions')}</th>
            </tr>
          </thead>
          <tbody>
            {cards.map((card) => (
              <tr key={card.id} data-card-id={card.id}>
                <td>
                  {`${card.brand.toUpperCase()} •••• ${card.last4}`}
                  {card.is_default ? <span class="badge-succeeded tab-default">{t('isDefault')}</span> : null}
                </td>
                <td>{`${String(card.exp_month).padStart(2, '0')}/${card.exp_year}`}</td>
                <td>
                  <div class="tab-actions">
                  {card.is_default ? null : (
                    <button type="button" class="button button-secondary" aria-label={t('makeDefaultLabel', { last4: card.last4 })} onClick={() => void makeDefault(card)}>
                      {t('makeDefault')}
                    </button>
                  )}
                  <button type="button" class="button button-secondary" aria-label={t('removeLabel', { last4: card.last4 })} onClick={() => setRemoving(card)}>
                    {t('remove')}
                  </button>
                </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="actions">
        <button type="button" class="button" onClick={() => void add()} disabled={busy}>
          {busy && removing === null ? t('adding') : t('add')}
        </button>
      </div>
      <ConfirmDialog
        titleId="card-remove-title"
        title={t('confirmTitle')}
        question={removing === null ? '' : t('confirmQuestion', { last4: removing.last4 })}
        confirmLabel={t('confirmYes')}
        keepLabel={t('confirmNo')}
        open={removing !== null}
        busy={busy}
        problem={null}
        onConfirm={() => void confirmRemove()}
        onClose={() => setRemoving(null)}
      />
    </section>
  );
}
