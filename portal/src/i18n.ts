// The portal's two languages. Each tab declares its own messages next to it with defineMessages, so no
// one dictionary is shared between tabs; the English keys type the Chinese ones, so a message missing in
// one language is a type error. The language is the app's state, kept in the URL (?lang=).
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export type Locale = 'en' | 'zh-CN';
export const locales: readonly Locale[] = ['en', 'zh-CN'];

/** The language's own name, for the switch. */
export const localeNames: Record<Locale, string> = { en: 'English', 'zh-CN': '简体中文' };

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (locales as readonly string[]).includes(value);
}

const LocaleContext = createContext<Locale>('en');
export const LocaleProvider = LocaleContext.Provider;

/** The language the portal is shown in. */
export function useLocale(): Locale {
  return useContext(LocaleContext);
}

/** The language every t() answers in; set by the app as it renders (app.tsx), before any tab renders. */
let activeLocale: Locale = 'en';
export function setActiveLocale(locale: Locale): void {
  activeLocale = locale;
}

export type MessageParameters = Record<string, string | number>;

/** "{name}" in a message is replaced by params.name. */
function fill(message: string, params: MessageParameters | undefined): string {
  if (params === undefined) return message;
  return message.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/**
 * A tab's messages in both languages; returns t(key, params?) in the active language.
 *
 *   const t = defineMessages({ en: { title: 'Top up {amount}' }, 'zh-CN': { title: '充值 {amount}' } });
 */
export function defineMessages<const English extends Record<string, string>>(messages: {
  en: English;
  'zh-CN': { [Key in keyof English]: string };
}): (key: keyof English & string, params?: MessageParameters) => string {
  return (key, params) => fill(messages[activeLocale][key] ?? messages.en[key], params);
}
