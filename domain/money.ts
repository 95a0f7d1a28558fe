// The one place that converts money between its inside form (bigint micro-units) and its edge form
// (a decimal string such as "12.500000" in JSON and in Temporal payloads, where bigint does not survive
// JSON.stringify). Nothing else parses or formats money. No floating point anywhere.

/** Micro-units per whole currency unit: amounts are exact to 1/1,000,000 of a dollar or yuan. */
export const microsPerUnit = 1_000_000n;
export const decimalPlaces = 6;

/** The largest amount accepted from a client: 1,000,000,000 units keeps every sum far inside bigint and Postgres bigint. */
export const maximumAmountMicros = 1_000_000_000n * microsPerUnit;

/** Currencies accounts may hold. Each is an ISO 4217 code whose minor unit Stripe charges in. */
export const currencies = ['USD', 'CNY'] as const;
export type Currency = (typeof currencies)[number];

/**
 * ISO 4217 exponents: how many decimals the currency's minor unit has (2 for cents and fen). A currency
 * without minor units (JPY, KRW) would be one entry with 0; nothing else in the system knows the number.
 */
export const currencyExponents: Record<Currency, number> = { USD: 2, CNY: 2 };

/** Minor units per whole unit, from the exponent: 100 cents to the dollar. Providers charge in them. */
export const minorUnitsPerUnit: Record<Currency, bigint> = Object.fromEntries(
  currencies.map((currency) => [currency, 10n ** BigInt(currencyExponents[currency])]),
) as Record<Currency, bigint>;

export function isCurrency(value: unknown): value is Currency {
  return typeof value === 'string' && (currencies as readonly string[]).includes(value);
}

export type ParseAmountFailure = 'not_a_string' | 'malformed' | 'too_precise' | 'not_positive' | 'too_large';

export type ParseAmountResult = { ok: true; micros: bigint } | { ok: false; reason: ParseAmountFailure };

const decimalPattern = /^(\d+)(?:\.(\d+))?$/;
/** An amount with more whole digits than the maximum (leading zeros aside) is too large, whatever the digits. */
const maximumWholeDigits = (maximumAmountMicros / microsPerUnit).toString().length;

/**
 * Parses a client's positive decimal amount ("12.5", "12.500000") into micro-units.
 * Numbers in JSON are refused on purpose: a JSON number has already been through a float in most clients.
 */
export function parsePositiveAmount(value: unknown): ParseAmountResult {
  if (typeof value !== 'string') return { ok: false, reason: 'not_a_string' };
  const match = decimalPattern.exec(value);
  if (match === null) return { ok: false, reason: 'malformed' };
  const whole = match[1]!.replace(/^0+(?=\d)/, '');
  const fraction = match[2] ?? '';
  if (fraction.length > decimalPlaces) return { ok: false, reason: 'too_precise' };
  // Checked on the digits, before any BigInt is built from a string that may be thousands of digits long.
  if (whole.length > maximumWholeDigits) return { ok: false, reason: 'too_large' };
  const micros = BigInt(whole) * microsPerUnit + BigInt(fraction.padEnd(decimalPlaces, '0'));
  if (micros <= 0n) return { ok: false, reason: 'not_positive' };
  if (micros > maximumAmountMicros) return { ok: false, reason: 'too_large' };
  return { ok: true, micros };
}

/** Formats micro-units as a decimal string with exactly six decimals: -1500000n → "-1.500000". */
export function formatMicros(micros: bigint): string {
  const negative = micros < 0n;
  const magnitude = negative ? -micros : micros;
  const whole = magnitude / microsPerUnit;
  const fraction = (magnitude % microsPerUnit).toString().padStart(decimalPlaces, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/** Whether an amount is a whole number of the currency's minor units (what a provider can charge). */
export function isWholeMinorUnits(micros: bigint, currency: Currency): boolean {
  return micros % (microsPerUnit / minorUnitsPerUnit[currency]) === 0n;
}

/** Reads back a string written by formatMicros (trusted, inside the system: workflow payloads, config). */
export function microsFromDecimal(value: string): bigint {
  const match = /^(-?)(\d+)\.(\d{6})$/.exec(value);
  if (match === null) throw new RangeError(`not a six-decimal amount: ${JSON.stringify(value)}`);
  const magnitude = BigInt(match[2]!) * microsPerUnit + BigInt(match[3]!);
  return match[1] === '-' ? -magnitude : magnitude;
}

/** Converts micro-units to the currency's minor unit for Stripe; refuses amounts that are not whole minor units. */
export function microsToMinorUnits(micros: bigint, currency: Currency): bigint {
  const microsPerMinorUnit = microsPerUnit / minorUnitsPerUnit[currency];
  if (micros % microsPerMinorUnit !== 0n) {
    throw new RangeError(`${formatMicros(micros)} ${currency} is not a whole number of minor units`);
  }
  return micros / microsPerMinorUnit;
}

/** Converts a Stripe minor-unit amount (an integer) to micro-units. */
export function minorUnitsToMicros(minorUnits: bigint | number, currency: Currency): bigint {
  const value = typeof minorUnits === 'number' ? BigInt(minorUnits) : minorUnits;
  return value * (microsPerUnit / minorUnitsPerUnit[currency]);
}

/**
 * Formats micro-units for people (messages, invoices, email, pages): thousands grouped and exactly the
 * currency's minor-unit digits: 1500000000n → "1,500.00". Sub-cent digits (a balance after metered usage,
 * 94.987500) are dropped towards zero, so a person is never shown more than there is; the API's fields
 * keep all six decimals.
 */
export function formatMicrosForPeople(micros: bigint, currency: Currency): string {
  const [signedWhole, fraction] = formatMicros(micros).split('.') as [string, string];
  const negative = signedWhole.startsWith('-');
  const whole = negative ? signedWhole.slice(1) : signedWhole;
  const minorDigits = currencyExponents[currency];
  const shownFraction = fraction.slice(0, minorDigits);
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const shown = minorDigits === 0 ? grouped : `${grouped}.${shownFraction}`;
  return negative && /[1-9]/.test(shown) ? `-${shown}` : shown;
}

/** An amount with its currency for people: "5.00 USD". */
export function moneyForPeople(micros: bigint, currency: Currency): string {
  return `${formatMicrosForPeople(micros, currency)} ${currency}`;
}

/**
 * A minor-unit amount as the decimal number of major units that Airwallex's API writes (10550n USD →
 * 105.5). Exact: amounts below 10^15 minor units survive the double that a JSON number becomes.
 */
export function minorUnitsToMajorNumber(minorUnits: bigint, currency: Currency): number {
  const exponent = currencyExponents[currency];
  const divisor = minorUnitsPerUnit[currency];
  const text = `${minorUnits / divisor}.${(minorUnits % divisor).toString().padStart(exponent, '0')}`;
  return Number(text);
}

/**
 * A provider's JSON number of major units (105.5) as minor units, or null when it is not a whole, non-negative
 * number of them. The number's shortest decimal form is read, never its binary value.
 */
export function majorNumberToMinorUnits(value: unknown, currency: Currency): bigint | null {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > Number(maximumAmountMicros / microsPerUnit)) return null;
  const match = /^(\d+)(?:\.(\d+))?$/.exec(String(value));
  if (match === null) return null;
  const exponent = currencyExponents[currency];
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) return null;
  return BigInt(match[1]!) * minorUnitsPerUnit[currency] + BigInt(fraction.padEnd(exponent, '0'));
}
