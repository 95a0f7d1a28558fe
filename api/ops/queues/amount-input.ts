// Amounts as an ops form shows them for editing: the decimal string /admin takes, with the currency's
// own number of decimals ("700.00"), never the six of the micro-units.
import { currencyExponents, formatMicros, moneyForPeople, type Currency } from '../../../domain/money.ts';

export function amountForInput(micros: bigint, currency: Currency): string {
  const exponent = currencyExponents[currency];
  const sixDecimals = formatMicros(micros);
  return exponent === 0 ? sixDecimals.slice(0, -7) : sixDecimals.slice(0, exponent - 6);
}

export { moneyForPeople };
