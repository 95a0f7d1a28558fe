// What a round of the account's auto-recharge workflow starts from, in one query: the settings, whether a
// stop was recorded for their version, the balance, and the rails' counters (month, day, last recharge,
// failures in a row for this version). Months and days are UTC.
import type { Sql } from '../client.ts';
import { customerBalanceCode } from '../ledger/ledger-account-codes.ts';
import type { AutoRechargeSettingsSnapshot } from '../../domain/auto-recharge.ts';
import type { Currency } from '../../domain/money.ts';

export interface LoadedAutoRechargeContext {
  settings: AutoRechargeSettingsSnapshot | null;
  stopped: boolean;
  balanceMicros: string;
  spentThisMonthMicros: string;
  rechargesToday: number;
  lastRechargeAtMilliseconds: number | null;
  consecutiveFailures: number;
}

interface ContextRow {
  version: number;
  enabled: boolean;
  currency: Currency;
  threshold_micros: bigint;
  amount_micros: bigint | null;
  target_balance_micros: bigint | null;
  payment_method_id: string | null;
  monthly_limit_micros: bigint;
  cooldown_seconds: number;
  maximum_per_day: number;
  stopped: boolean;
  consecutive_failures: number;
  balance_micros: bigint | null;
  spent_this_month_micros: bigint;
  recharges_today: number;
  last_recharge_at: Date | null;
}

export async function loadAutoRechargeContext(sql: Sql, accountId: string): Promise<LoadedAutoRechargeContext> {
  const [row] = await sql<ContextRow[]>`
    select s.version, s.enabled, s.currency, s.threshold_micros, s.amount_micros, s.target_balance_micros, s.payment_method_id,
           s.monthly_limit_micros, s.cooldown_seconds, s.maximum_per_day,
           coalesce(st.stopped_version = s.version, false) as stopped,
           case when st.settings_version = s.version then st.consecutive_failures else 0 end as consecutive_failures,
           (select balance_micros from ledger_accounts where code = ${customerBalanceCode(accountId)}) as balance_micros,
           coalesce((select sum(amount_micros) from auto_recharge_attempts a where a.account_id = s.account_id
                       and a.status in ('succeeded', 'charging')
                       and a.created_at >= date_trunc('month', now() at time zone 'UTC') at time zone 'UTC'), 0)::bigint as spent_this_month_micros,
           (select count(*)::int from auto_recharge_attempts a where a.account_id = s.account_id and a.status in ('succeeded', 'charging')
              and a.created_at >= date_trunc('day', now() at time zone 'UTC') at time zone 'UTC') as recharges_today,
           (select max(created_at) from auto_recharge_attempts a where a.account_id = s.account_id and a.status in ('succeeded', 'charging')) as last_recharge_at
    from auto_recharge_settings s
    left join auto_recharge_status st on st.account_id = s.account_id
    where s.account_id = ${accountId}`;
  if (row === undefined) {
    return { settings: null, stopped: false, balanceMicros: '0', spentThisMonthMicros: '0', rechargesToday: 0, lastRechargeAtMilliseconds: null, consecutiveFailures: 0 };
  }
  return {
    settings: {
      accountId,
      version: row.version,
      enabled: row.enabled,
      currency: row.currency,
      thresholdMicros: row.threshold_micros.toString(),
      amountMicros: row.amount_micros?.toString() ?? null,
      targetBalanceMicros: row.target_balance_micros?.toString() ?? null,
      paymentMethodId: row.payment_method_id,
      monthlyLimitMicros: row.monthly_limit_micros.toString(),
      cooldownSeconds: row.cooldown_seconds,
      maximumPerDay: row.maximum_per_day,
    },
    stopped: row.stopped,
    balanceMicros: (row.balance_micros ?? 0n).toString(),
    spentThisMonthMicros: row.spent_this_month_micros.toString(),
    rechargesToday: row.recharges_today,
    lastRechargeAtMilliseconds: row.last_recharge_at?.getTime() ?? null,
    consecutiveFailures: row.consecutive_failures,
  };
}
