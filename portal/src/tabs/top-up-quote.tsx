// The live quote of the top-up tab: what the customer pays and what their balance receives.
import type { RefillObject } from '../../../client/index.ts';
import { t } from './top-up-messages.ts';

const zero = /^0(\.0+)?$/;

export function QuoteSummary(props: { quote: RefillObject<'Quote'> | null; reason: string | null; waiting: boolean; money(amount: string): string }) {
  const { quote, money } = props;
  return (
    <section class="card" aria-labelledby="quote-heading" aria-live="polite">
      <h3 id="quote-heading">{t('summary')}</h3>
      {props.reason !== null ? <p class="error">{t('quoteFailed', { reason: props.reason })}</p> : null}
      {quote === null ? (
        props.waiting ? <p class="notice">{t('quoting')}</p> : null
      ) : (
        <table class="table" data-testid="quote">
          <tbody>
            <tr>
              <th scope="row">{t('amount')}</th>
              <td class="amount">{money(quote.amount)}</td>
            </tr>
            {zero.test(quote.discount) ? null : (
              <tr>
                <th scope="row">{t('discount', { code: quote.promo?.code ?? '' })}</th>
                <td class="amount" data-testid="quote-discount">−{money(quote.discount)}</td>
              </tr>
            )}
            <tr class="total">
              <th scope="row">{t('price')}</th>
              <td class="amount" data-testid="quote-price">{money(quote.pay_amount)}</td>
            </tr>
            {zero.test(quote.bonus) ? null : (
              <tr>
                <th scope="row">{t('bonusCredit')}</th>
                <td class="amount" data-testid="quote-bonus">{money(quote.bonus)}</td>
              </tr>
            )}
            <tr class="total">
              <th scope="row">{t('totalCredit')}</th>
              <td class="amount" data-testid="quote-credit">{money(quote.credit)}</td>
            </tr>
          </tbody>
        </table>
      )}
    </section>
  );
}
