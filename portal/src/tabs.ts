// The registry of the portal's tabs, in the order they are shown. A tab is one file under tabs/ and one
// entry here; `hidden` tabs (the result of a payment) are reached by a link and listed only while open.
import type { ComponentType } from 'preact';
import type { PortalContext } from './context.ts';
import type { Locale } from './i18n.ts';
import { OverviewTab } from './tabs/overview.tsx';
import { ResultTab } from './tabs/result.tsx';
import { TopUpTab } from './tabs/top-up.tsx';
import { OrdersTab } from './tabs/orders.tsx';
import { AccountFlowsTab } from './tabs/account-flows.tsx';
import { AutoRechargeTab } from './tabs/auto-recharge.tsx';
import { BalanceAlertsTab } from './tabs/balance-alerts.tsx';

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
  { id: 'orders', label: { en: 'Orders', 'zh-CN': '订单' }, component: OrdersTab },
  { id: 'account-flows', label: { en: 'Account flows', 'zh-CN': '账户流水' }, component: AccountFlowsTab },
  { id: 'auto-recharge', label: { en: 'Auto-recharge', 'zh-CN': '自动充值' }, component: AutoRechargeTab },
  { id: 'balance-alerts', label: { en: 'Balance alerts', 'zh-CN': '余额提醒' }, component: BalanceAlertsTab },
  { id: 'result', label: { en: 'Payment result', 'zh-CN': '支付结果' }, component: ResultTab, hidden: true },
];
