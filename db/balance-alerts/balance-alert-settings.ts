// An account's low-balance alert settings (balance_alerts, migration 0014): the thresholds, in
// micro-units of the account's currency, and whether each crossing is also emailed.
export interface BalanceAlertSettings {
  thresholdsMicros: bigint[];
  email: boolean;
}
