// The portal's frame: a header (title, language switch, back to the platform), the tab list, and the
// selected tab. The tab and the language live in the URL (?tab=, ?lang=), so Back, reload and a
// platform's deep link (?tab=top-up&package_id=…) all land where they should. The tab list follows the
// WAI-ARIA tabs pattern: one tab in the Tab order, arrow keys, Home and End move between tabs.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { PortalApi } from './api.ts';
import type { PortalContext, PortalSession } from './context.ts';
import { defineMessages, isLocale, LocaleProvider, localeNames, locales, setActiveLocale, type Locale } from './i18n.ts';
import { tabs, type PortalTab } from './tabs.ts';

const t = defineMessages({
  en: { title: 'Billing portal', back: 'Back to {site}', language: 'Language', tabs: 'Sections' },
  'zh-CN': { title: '账单与充值', back: '返回 {site}', language: '语言', tabs: '栏目' },
});

interface Location {
  tab: string;
  locale: Locale;
  query: Record<string, string>;
}

function readLocation(fallbackLocale: Locale): Location {
  const parameters = new URLSearchParams(window.location.search);
  const query: Record<string, string> = {};
  for (const [name, value] of parameters) if (name !== 'tab' && name !== 'lang') query[name] = value;
  const tab = parameters.get('tab');
  const lang = parameters.get('lang');
  return {
    tab: tabs.some((candidate) => candidate.id === tab) ? tab! : tabs[0]!.id,
    locale: isLocale(lang) ? lang : fallbackLocale,
    query,
  };
}

function urlOf(location: Location, sessionLocale: Locale): string {
  const parameters = new URLSearchParams({ tab: location.tab, ...location.query });
  if (location.locale !== sessionLocale) parameters.set('lang', location.locale);
  return `/portal?${parameters.toString()}`;
}

function TabList(props: { visible: PortalTab[]; selected: string; locale: Locale; onSelect(id: string): void }) {
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);
  const onKeyDown = (event: KeyboardEvent, index: number) => {
    const last = props.visible.length - 1;
    const target = { ArrowRight: index === last ? 0 : index + 1, ArrowLeft: index === 0 ? last : index - 1, Home: 0, End: last }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    props.onSelect(props.visible[target]!.id);
    buttons.current[target]?.focus();
  };
  return (
    <div role="tablist" aria-label={t('tabs')} class="tablist">
      {props.visible.map((tab, index) => (
        <button
          key={tab.id}
          ref={(element) => {
            buttons.current[index] = element;
          }}
          type="button"
          role="tab"
          id={`tab-${tab.id}`}
          aria-selected={tab.id === props.selected}
          aria-controls={`panel-${tab.id}`}
          tabIndex={tab.id === props.selected ? 0 : -1}
          class="tab"
          onClick={() => props.onSelect(tab.id)}
          onKeyDown={(event) => onKeyDown(event, index)}
        >
          {tab.label[props.locale]}
        </button>
      ))}
    </div>
  );
}

function LanguageSwitch(props: { locale: Locale; onChange(locale: Locale): void }) {
  return (
    <div class="language">
      <label for="portal-language">{t('language')}</label>
      <select id="portal-language" value={props.locale} onChange={(event) => props.onChange((event.currentTarget as HTMLSelectElement).value as Locale)}>
        {locales.map((locale) => (
          <option key={locale} value={locale} lang={locale}>
            {localeNames[locale]}
          </option>
        ))}
      </select>
    </div>
  );
}

export function App(props: { api: PortalApi; session: PortalSession }) {
  const sessionLocale = props.session.locale;
  const [location, setLocation] = useState(() => readLocation(sessionLocale));
  setActiveLocale(location.locale);

  useEffect(() => {
    const onPopState = () => setLocation(readLocation(sessionLocale));
    window.addEventListener('popstate', onPopState);
    return () => window.removeEventListener('popstate', onPopState);
  }, [sessionLocale]);
  useEffect(() => {
    document.documentElement.lang = location.locale;
    document.title = t('title');
  }, [location.locale]);

  const go = (next: Location) => {
    window.history.pushState(null, '', urlOf(next, sessionLocale));
    setLocation(next);
  };
  const context: PortalContext = useMemo(
    () => ({
      api: props.api,
      session: props.session,
      locale: location.locale,
      query: location.query,
      navigate: (tab, params = {}) => go({ tab, locale: location.locale, query: params }),
    }),
    [location],
  );
  const selected = tabs.find((tab) => tab.id === location.tab) ?? tabs[0]!;
  const visible = tabs.filter((tab) => tab.hidden !== true || tab.id === selected.id);
  const Selected = selected.component;
  const site = new URL(props.session.return_url).host;

  return (
    <LocaleProvider value={location.locale}>
      <header class="header">
        <h1>{t('title')}</h1>
        <LanguageSwitch locale={location.locale} onChange={(locale) => go({ ...location, locale })} />
        <a class="back" href={props.session.return_url}>
          {t('back', { site })}
        </a>
      </header>
      <TabList visible={visible} selected={selected.id} locale={location.locale} onSelect={(tab) => go({ tab, locale: location.locale, query: {} })} />
      <section role="tabpanel" id={`panel-${selected.id}`} aria-labelledby={`tab-${selected.id}`} tabIndex={0} class="panel">
        <Selected key={`${selected.id}|${JSON.stringify(location.query)}`} {...context} />
      </section>
    </LocaleProvider>
  );
}
