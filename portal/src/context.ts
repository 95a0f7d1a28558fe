// What every tab is given: the API, the session, the language, and a way to go to another tab.
import type { RefillObject } from '../../client/index.ts';
import type { PortalApi } from './api.ts';
import type { Locale } from './i18n.ts';

/** The session, as GET /portal/session gives it (token, account_id, currency, locale, return_url, expires_at, …). */
export type PortalSession = RefillObject<'PortalPageSession'>;

export interface PortalContext {
  api: PortalApi;
  session: PortalSession;
  locale: Locale;
  /** The current URL's query parameters besides tab and lang (package_id, order_id, …). */
  query: Record<string, string>;
  /** Shows another tab, with its own query parameters (kept in the URL, so Back and reload work). */
  navigate(tab: string, params?: Record<string, string>): void;
}
