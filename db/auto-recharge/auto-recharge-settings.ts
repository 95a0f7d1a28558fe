// An account's auto-recharge as the API shows it: the settings (written by the API only, db/auto-recharge/
// put-auto-recharge-settings.ts and the card deletion) joined with the status the account's workflow
// writes (auto_recharge_status, auto_recharge_attempts). The state is derived, never stored twice:
// disabled when switched off, else the workflow's stop when it was recorded for this settings version.
import type { AutoRechargeState } from '../../domain/auto-recharge.ts';
import type { Currency } from '../../domain/money.ts';

export interface AutoRechargeView {
  accountId: string;
  version: number;
  enabled: boolean;
  currency: Currency;
  thresholdMicros: bigint;
  amountMicros: bigint | null;
  targetBalanceMicros: bigint | null;
  paymentMethodId: string | null;
  monthlyLimitMicros: bigint;
  cooldownSeconds: number;
  maximumPerDay: number;
  state: AutoRechargeState;
  pausedReason: string | null;
  consecutiveFailures: number;
  lastAttempt: { at: Date; outcome: string; amountMicros: bigint | null; declineCode: string | null } | null;
  spentThisMonthMicros: bigint;
  consent: { at: Date; ip: string | null; userAgent: string | null; settings: unknown } | null;
  updatedAt: Date;
}

export interface AutoRechargeViewRow {
  account_id: string;
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
  disabled_reason: string | null;
  consent_at: Date | null;
  consent_ip: string | null;
  consent_user_agent: string | null;
  consent_settings: unknown;
  updated_at: Date;
  status_settings_version: number | null;
  stopped_version: number | null;
  stopped_state: 'paused' | 'disabled' | null;
  stopped_reason: string | null;
  consecutive_failures: number | null;
  last_attempt_at: Date | null;
  last_attempt_outcome: string | null;
  last_attempt_amount_micros: bigint | null;
  last_attempt_decline_code: string | null;
  spent_this_month_micros: bigint;
}

const turnedOffReason = 'Auto-recharge was switched off.';

export function autoRechargeFromRow(row: AutoRechargeViewRow): AutoRechargeView {
  const stopped = row.enabled && row.stopped_version === row.version ? row.stopped_state : null;
  const state: AutoRechargeState = !row.enabled ? 'disabled' : (stopped ?? 'active');
  const pausedReason = !row.enabled ? (row.disabled_reason ?? turnedOffReason) : stopped === null ? null : row.stopped_reason;
  return {
    accountId: row.account_id,
    version: row.version,
    enabled: row.enabled,
    currency: row.currency,
    thresholdMicros: row.threshold_micros,
    amountMicros: row.amount_micros,
    targetBalanceMicros: row.target_balance_micros,
    paymentMethodId: row.payment_method_id,
    monthlyLimitMicros: row.monthly_limit_micros,
    cooldownSeconds: row.cooldown_seconds,
    maximumPerDay: row.maximum_per_day,
    state,
    pausedReason,
    // The failures of an earlier version do not count: the customer's PUT is a fresh start.
    consecutiveFailures: row.status_settings_version === row.version ? (row.consecutive_failures ?? 0) : 0,
    lastAttempt:
      row.last_attempt_at === null
        ? null
        : { at: row.last_attempt_at, outcome: row.last_attempt_outcome!, amountMicros: row.last_attempt_amount_micros, declineCode: row.last_attempt_decline_code },
    spentThisMonthMicros: row.spent_this_month_micros,
    consent: row.consent_at === null ? null : { at: row.consent_at, ip: row.consent_ip, userAgent: row.consent_user_agent, settings: row.consent_settings },
    updatedAt: row.updated_at,
  };
}
