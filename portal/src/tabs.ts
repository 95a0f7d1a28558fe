// The registry of the portal's tabs, in the order they are shown. A tab is one file under tabs/ and one
// entry here; `hidden` tabs (the result of a payment) are reached by a link and listed only while open.
import type { ComponentType } from 'preact';
import type { PortalContext } from './context.ts';
import type { Locale } from './i18n.ts';
import { OverviewTab } from './tabs/overview.tsx';
import { ResultTab } from './tabs/result.tsx';
import { TopUpTab } from './tabs/top-up.tsx';

export interface PortalTab {
  id: string;
  label: Record<Locale, string>;
  component: ComponentType<PortalContext>;
  /** Listed only while it is the selected tab. */
  hidden?: boolean;
}

export const tabs: PortalTab[] = [
  { id: 'overview', label: { en: 'Overview', 'zh-CN': '概览' }, component: OverviewTab },
  { id: 'top-up', label: { en: 'Top up', 'zh-CN': '充值' }, component: TopUpTab },
  { id: 'result', label: { en: 'Payment result', 'zh-CN': '支付结果' }, component: ResultTab, hidden: true },
];
