// The top-up tab: presets (a platform's link can preselect one, ?package_id=) or a custom amount, the
// payment methods of the account's currency, a promo code to apply or remove, and a live quote (POST
// /v1/topup-quotes) of the amount, discount, price, bonus and credit. Ordering creates the order (POST
// /v1/topups, one Idempotency-Key per attempt, reused when the same attempt is retried) and then sends the
// customer to its checkout, shows its QR code, or shows where to transfer. The result tab takes over
// when the checkout sends the customer back (/portal?tab=result&order_id=…).
import { useEffect, useRef, useState } from 'preact/hooks';
import type { RefillObject } from '../../../client/index.ts';
import { ApiProblem, newIdempotencyKey } from '../api.ts';
import type { PortalContext } from '../context.ts';
import { formatMoney } from '../format.ts';
import { BankTransferFields, emptyBankTransfer, missingBankTransferField, type BankTransferForm } from './top-up-bank-transfer.tsx';
import { isPromoProblem, reasonOf, t } from './top-up-messages.ts';
import { OrderNextStep } from './top-up-next-step.tsx';
import { PromoField } from './top-up-promo.tsx';
import { QuoteSummary } from './top-up-quote.tsx';

type Options = RefillObject<'TopUpOptions'>;
type Quote = RefillObject<'Quote'>;
type Order = RefillObject<'Order'>;
type Method = Options['payment_methods'][number];

/** What is being bought: one of the packages, or an amount the customer typed. */
export type Choice = { kind: 'package'; packageId: string } | { kind: 'custom'; amount: string };

const amountPattern = /^\d{1,10}(\.\d{1,2})?$/;
const quoteDelayMilliseconds = 300;

function choiceBody(choice: Choice): { package_id: string } | { amount: string } | null {
  if (choice.kind === 'package') return { package_id: choice.packageId };
  return amountPattern.test(choice.amount.trim()) ? { amount: choice.amount.trim() } : null;
}

export function TopUpTab(props: PortalContext) {
  const { api, locale } = props;
  const [options, setOptions] = useState<Options | null>(null);
  const [optionsProblem, setOptionsProblem] = useState<string | null>(null);
  const [choice, setChoice] = useState<Choice | null>(null);
  const [methodId, setMethodId] = useState<Method['id'] | null>(null);
  const [promo, setPromo] = useState<string | null>(null);
  const [quote, setQuote] = useState<Quote | null>(null);
  const [quoteProblem, setQuoteProblem] = useState<ApiProblem | null>(null);
  const [bank, setBank] = useState<BankTransferForm>(emptyBankTransfer);
  const [formProblem, setFormProblem] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [order, setOrder] = useState<Order | null>(null);
  const attempt = useRef<{ body: string; key: string } | null>(null);

  useEffect(() => {
    api
      .data(api.client.GET('/v1/topup-options'))
      .then((answer) => {
        setOptions(answer);
        const preselected = answer.packages.find((entry) => entry.id === props.query.package_id) ?? answer.packages[0];
        setChoice(preselected === undefined ? { kind: 'custom', amount: '' } : { kind: 'package', packageId: preselected.id });
        setMethodId(answer.payment_methods[0]?.id ?? null);
      })
      .catch((error: unknown) => setOptionsProblem(error instanceof ApiProblem ? reasonOf(error, {}) : String(error)));
  }, []);

  const method = options?.payment_methods.find((entry) => entry.id === methodId) ?? null;
  const currency = options?.currency ?? props.session.currency;
  const money = (amount: string) => formatMoney(amount, currency, locale);
  const limits = method === null ? {} : { min: money(method.min), max: money(method.max) };
  const chosen = choice === null ? null : choiceBody(choice);
  const request = chosen === null || method === null ? null : { ...chosen, payment_method: method.id, ...(promo === null ? {} : { promo_code: promo }) };
  const requestKey = JSON.stringify(request);

  useEffect(() => {
    setQuote(null);
    setQuoteProblem(null);
    if (request === null) return;
    let current = true;
    const timer = setTimeout(() => {
      api
        .data(api.client.POST('/v1/topup-quotes', { body: request }))
        .then((answer) => current && setQuote(answer))
        .catch((error: unknown) => current && error instanceof ApiProblem && setQuoteProblem(error));
    }, quoteDelayMilliseconds);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [requestKey]);

  if (optionsProblem !== null) return <p class="error" role="alert">{t('optionsFailed', { reason: optionsProblem })}</p>;
  if (options === null || choice === null) return <p class="notice" role="status">{t('loading')}</p>;
  if (order !== null) return <OrderNextStep order={order} money={money} locale={locale} onStatus={() => props.navigate('result', { order_id: order.id })} />;

  /** A quote the promo code alone makes impossible is shown at the code, with Remove. */
  const promoProblem = quoteProblem !== null && promo !== null && isPromoProblem(quoteProblem) ? reasonOf(quoteProblem, { code: promo, ...limits }) : null;
  const quoteReason = quoteProblem !== null && promoProblem === null ? reasonOf(quoteProblem, { code: promo ?? '', ...limits }) : null;
  const isBankTransfer = method?.flow === 'bank_transfer';

  const submit = async (event: Event) => {
    event.preventDefault();
    setFormProblem(null);
    if (request === null) return setFormProblem(t('amountFormat'));
    if (isBankTransfer) {
      const missing = missingBankTransferField(bank);
      if (missing !== null) return setFormProblem(missing);
    }
    const body = { ...request, ...(isBankTransfer ? { bank_transfer: { remitter_name: bank.remitterName, bank_name: bank.bankName, ...(bank.remarks.trim() === '' ? {} : { remarks: bank.remarks }), agreement_accepted: true as const } } : {}) };
    const serialized = JSON.stringify(body);
    // A retry of the same attempt (a lost answer) reuses its key, so it cannot create a second order.
    if (attempt.current?.body !== serialized) attempt.current = { body: serialized, key: newIdempotencyKey('topup') };
    setCreating(true);
    try {
      const created = await api.data(api.client.POST('/v1/topups', { body, params: { header: { 'Idempotency-Key': attempt.current.key } } }));
      attempt.current = null;
      if (created.checkout_url !== null && created.next_action === null && created.bank_transfer === null) {
        window.location.assign(created.checkout_url);
        return;
      }
      setOrder(created);
    } catch (error) {
      setFormProblem(t('createFailed', { reason: error instanceof ApiProblem ? reasonOf(error, { code: promo ?? '', ...limits }) : String(error) }));
    } finally {
      setCreating(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <h2>{t('heading')}</h2>
      <AmountChoices options={options} choice={choice} onChoose={setChoice} money={money} limits={limits} />
      <fieldset class="field">
        <legend>{t('methods')}</legend>
        <div class="choices">
          {options.payment_methods.map((entry) => (
            <label key={entry.id} class="choice">
              <input type="radio" name="payment-method" value={entry.id} checked={entry.id === methodId} onChange={() => setMethodId(entry.id)} />
              <strong>{entry.display_name[locale]}</strong>
            </label>
          ))}
        </div>
      </fieldset>
      <PromoField applied={promo} problem={promoProblem} onApply={setPromo} onRemove={() => setPromo(null)} />
      <QuoteSummary quote={quote} reason={quoteReason} waiting={request !== null && quote === null && quoteProblem === null} money={money} />
      {isBankTransfer ? <BankTransferFields
          payee={props.session.bank_transfer_payee}
          form={bank}
          onChange={(form) => {
            setBank(form);
            setFormProblem(null);
          }}
        /> : null}
      {formProblem === null ? null : <p class="error" role="alert">{formProblem}</p>}
      <div class="actions">
        <button type="submit" class="button" disabled={creating || quote === null}>
          {creating ? t('creating') : isBankTransfer ? t('placeOrder') : t('pay', { price: quote === null ? '' : money(quote.pay_amount) })}
        </button>
      </div>
    </form>
  );
}

function AmountChoices(props: { options: Options; choice: Choice; onChoose(choice: Choice): void; money(amount: string): string; limits: { min?: string; max?: string } }) {
  const { options, choice } = props;
  const custom = choice.kind === 'custom' ? choice.amount : '';
  const customInvalid = choice.kind === 'custom' && custom.trim() !== '' && !amountPattern.test(custom.trim());
  return (
    <fieldset class="field">
      <legend>{t('packages')}</legend>
      <div class="choices">
        {options.packages.map((entry) => (
          <label key={entry.id} class="choice">
            <input
              type="radio"
              name="amount-choice"
              value={entry.id}
              checked={choice.kind === 'package' && choice.packageId === entry.id}
              onChange={() => props.onChoose({ kind: 'package', packageId: entry.id })}
            />
            <strong>{props.money(entry.amount)}</strong>
            {/^0(\.0+)?$/.test(entry.bonus) ? null : <span>{t('bonus', { bonus: props.money(entry.bonus) })}</span>}
            <span>{t('credit', { credit: props.money(entry.credit) })}</span>
          </label>
        ))}
        <label class="choice">
          <input type="radio" name="amount-choice" value="custom" checked={choice.kind === 'custom'} onChange={() => props.onChoose({ kind: 'custom', amount: custom })} />
          <strong>{t('custom')}</strong>
        </label>
      </div>
      {choice.kind === 'custom' ? (
        <div class="field">
          <label for="custom-amount">{t('customLabel', { currency: options.currency })}</label>
          <input
            id="custom-amount"
            inputMode="decimal"
            autoComplete="off"
            value={custom}
            aria-describedby="custom-amount-hint"
            aria-invalid={customInvalid}
            onInput={(event) => props.onChoose({ kind: 'custom', amount: (event.currentTarget as HTMLInputElement).value })}
          />
          <p id="custom-amount-hint" class={customInvalid ? 'error' : 'hint'}>
            {customInvalid ? t('amountFormat') : props.limits.min === undefined ? '' : t('customHint', { min: props.limits.min, max: props.limits.max ?? '' })}
          </p>
        </div>
      ) : null}
    </fieldset>
  );
}
