// After ordering, when there is no checkout page to go to: the QR code to scan (Alipay, WeChat Pay) or
// the transfer to make (bank transfer), and the way to the order's live status.
import type { RefillObject } from '../../../client/index.ts';
import { formatDateTime } from '../format.ts';
import type { Locale } from '../i18n.ts';
import { t } from './top-up-messages.ts';

export function OrderNextStep(props: { order: RefillObject<'Order'>; money(amount: string): string; locale: Locale; onStatus(): void }) {
  const { order } = props;
  const price = props.money(order.pay_amount);
  const status = (
    <div class="actions">
      <button type="button" class="button" onClick={props.onStatus}>
        {t('status')}
      </button>
    </div>
  );
  if (order.next_action !== null) {
    return (
      <section class="card" aria-labelledby="next-heading">
        <h2 id="next-heading">{t('scanHeading')}</h2>
        <p>{t('scanBody', { price, time: formatDateTime(order.next_action.expires_at, props.locale) })}</p>
        <img class="qr" src={new URL(order.next_action.image_url).pathname} alt={t('qrAlt', { price })} width={220} height={220} />
        {status}
      </section>
    );
  }
  const transfer = order.bank_transfer;
  if (transfer === null) return <section class="card">{status}</section>;
  return (
    <section class="card" aria-labelledby="next-heading">
      <h2 id="next-heading">{t('transferHeading', { price })}</h2>
      <table class="table" data-testid="transfer-instructions">
        <tbody>
          <tr>
            <th scope="row">{t('payeeBank')}</th>
            <td>{transfer.bank_name}</td>
          </tr>
          <tr>
            <th scope="row">{t('payeeName')}</th>
            <td>{transfer.account_name}</td>
          </tr>
          <tr>
            <th scope="row">{t('payeeNumber')}</th>
            <td>{transfer.account_number}</td>
          </tr>
          <tr class="total">
            <th scope="row">{t('price')}</th>
            <td>{price}</td>
          </tr>
          <tr class="total">
            <th scope="row">{t('reference')}</th>
            <td data-testid="transfer-reference">{transfer.reference}</td>
          </tr>
        </tbody>
      </table>
      {status}
    </section>
  );
}
