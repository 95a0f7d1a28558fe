// Writes the customer's settings (PUT /v1/auto-recharge): a new version each time, with the consent
// the caller gave when it is enabled. The API is this table's only writer besides the card deletion.
import type { Sql } from '../client.ts';
import type { Currency } from '../../domain/money.ts';
import { getAutoRecharge } from './get-auto-recharge.ts';
import type { AutoRechargeView } from './auto-recharge-settings.ts';

export interface PutAutoRechargeSettingsInput {
  accountId: string;
  enabled: boolean;
  currency: Currency;
  thresholdMicros: bigint;
  amountMicros: bigint | null;
  targetBalanceMicros: bigint | null;
  paymentMethodId: string | null;
  monthlyLimitMicros: bigint;
  cooldownSeconds: number;
  maximumPerDay: number;
  consent: { ip: string | null; userAgent: string | null; settings: Record<string, unknown> } | null;
}

/** Stores the settings and returns the view; `changed` is false when they equal the stored ones (a repeat). */
export async function putAutoRechargeSettings(sql: Sql, input: PutAutoRechargeSettingsInput): Promise<{ view: AutoRechargeView; changed: boolean }> {
  return sql.begin(async (transaction) => {
    await transaction`select 1 from accounts where id = ${input.accountId} for update`;
    const [current] = await transaction<{ enabled: boolean; same: boolean }[]>`
      select enabled, (enabled = ${input.enabled} and threshold_micros = ${input.thresholdMicros.toString()}
              and amount_micros is not distinct from ${input.amountMicros?.toString() ?? null}::bigint
              and target_balance_micros is not distinct from ${input.targetBalanceMicros?.toString() ?? null}::bigint
              and payment_method_id is not distinct from ${input.paymentMethodId}::text
              and monthly_limit_micros = ${input.monthlyLimitMicros.toString()} and cooldown_seconds = ${input.cooldownSeconds}
              and maximum_per_day = ${input.maximumPerDay}) as same
      from auto_recharge_settings where account_id = ${input.accountId}`;
    const consent = input.enabled && input.consent !== null ? input.consent : null;
    await transaction`
      insert into auto_recharge_settings (account_id, version, enabled, currency, threshold_micros, amount_micros, target_balance_micros,
                                          payment_method_id, monthly_limit_micros, cooldown_seconds, maximum_per_day,
                                          consent_at, consent_ip, consent_user_agent, consent_settings)
      values (${input.accountId}, 1, ${input.enabled}, ${input.currency}, ${input.thresholdMicros.toString()}, ${input.amountMicros?.toString() ?? null},
              ${input.targetBalanceMicros?.toString() ?? null}, ${input.paymentMethodId}, ${input.monthlyLimitMicros.toString()},
              ${input.cooldownSeconds}, ${input.maximumPerDay}, ${consent === null ? null : sql`now()`}, ${consent?.ip ?? null},
              ${consent?.userAgent ?? null}, ${consent === null ? null : sql.json(consent.settings as never)})
      on conflict (account_id) do update
      set version = auto_recharge_settings.version + 1, enabled = excluded.enabled, currency = excluded.currency,
          threshold_micros = excluded.threshold_micros, amount_micros = excluded.amount_micros,
          target_balance_micros = excluded.target_balance_micros, payment_method_id = excluded.payment_method_id,
          monthly_limit_micros = excluded.monthly_limit_micros, cooldown_seconds = excluded.cooldown_seconds,
          maximum_per_day = excluded.maximum_per_day, disabled_reason = null,
          consent_at = coalesce(excluded.consent_at, auto_recharge_settings.consent_at),
          consent_ip = case when excluded.consent_at is null then auto_recharge_settings.consent_ip else excluded.consent_ip end,
          consent_user_agent = case when excluded.consent_at is null then auto_recharge_settings.consent_user_agent else excluded.consent_user_agent end,
          consent_settings = coalesce(excluded.consent_settings, auto_recharge_settings.consent_settings),
          updated_at = now()`;
    const view = await getAutoRecharge(transaction, input.accountId);
    return { view: view!, changed: current?.same !== true };
  });
}
