// PUT /v1/balance-alerts: the one writer of an account's alert settings. In the same transaction it
// copies the thresholds onto the customer's ledger account, where the ledger's trigger reads them
// (no thresholds: null, and the trigger's WHEN clause skips the account at no cost).
import type { Sql } from '../client.ts';
import type { BalanceAlertSettings } from './balance-alert-settings.ts';

export async function putBalanceAlerts(sql: Sql, accountId: string, settings: BalanceAlertSettings): Promise<BalanceAlertSettings> {
  const thresholds = [...new Set(settings.thresholdsMicros)].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
  const thresholdTexts = thresholds.map(String);
  await sql.begin(async (transaction) => {
    await transaction`
      insert into balance_alerts (account_id, thresholds_micros, email)
      values (${accountId}, ${thresholdTexts}::bigint[], ${settings.email})
      on conflict (account_id) do update set thresholds_micros = excluded.thresholds_micros, email = excluded.email, updated_at = now()`;
    await transaction`
      update ledger_accounts set balance_alert_thresholds_micros = ${thresholds.length === 0 ? null : thresholdTexts}::bigint[]
      where account_id = ${accountId} and kind = 'customer_balance'`;
  });
  return { thresholdsMicros: thresholds, email: settings.email };
}
