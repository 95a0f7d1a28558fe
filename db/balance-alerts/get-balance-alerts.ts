// GET /v1/balance-alerts: the account's settings; none set reads as no thresholds and no email.
import type { Queryable } from '../client.ts';
import type { BalanceAlertSettings } from './balance-alert-settings.ts';

export async function getBalanceAlerts(sql: Queryable, accountId: string): Promise<BalanceAlertSettings> {
  const [row] = await sql<{ thresholds_micros: string[]; email: boolean }[]>`
    select thresholds_micros::text[] as thresholds_micros, email from balance_alerts where account_id = ${accountId}`;
  if (row === undefined) return { thresholdsMicros: [], email: false };
  return { thresholdsMicros: row.thresholds_micros.map(BigInt), email: row.email };
}
