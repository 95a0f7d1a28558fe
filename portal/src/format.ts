// Amounts, dates and times as people read them, in the portal's language: amounts with their currency
// (from the API's decimal strings, never through a float), times in the browser's own time zone.
import type { Locale } from './i18n.ts';

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** "US$1,234.50" / "¥1,234.50": the decimal string as it is (Intl formats the string exactly), two decimals. */
export function formatMoney(amount: string, currency: string, locale: Locale): string {
  const key = `${locale}|${currency}`;
  let format = moneyFormats.get(key);
  if (format === undefined) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 });
    moneyFormats.set(key, format);
  }
  return format.format(amount as Intl.StringNumericLiteral);
}

/** "1 Dec 2026, 18:30" in the browser's time zone. */
export function formatDateTime(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** "1 Dec 2026" in the browser's time zone. */
export function formatDate(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(iso));
}

/** "18:30:05" in the browser's time zone. */
export function formatTime(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, { timeStyle: 'medium' }).format(new Date(iso));
}
