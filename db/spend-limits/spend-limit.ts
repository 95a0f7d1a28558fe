// Spend limits per user of an account. The spend_limits table is written by the operations of
// db/spend-limits (the limit itself) and by the trigger of migration 0012 (spent_micros, the period's
// consumption, in the transaction of each transfer that counts): one writer per row at a time, because
// both hold the customer's ledger account lock.
export type SpendPeriod = 'day' | 'week' | 'month';
export const spendPeriods: readonly SpendPeriod[] = ['day', 'week', 'month'];

export interface SpendLimit {
  userReference: string;
  amountMicros: bigint;
  period: SpendPeriod;
  /** Consumed by the user in the current period, captures included. */
  spentMicros: bigint;
  /** On the user's active holds: counts against the limit too. */
  heldMicros: bigint;
  periodStart: Date;
  resetsAt: Date;
}

export interface SpendLimitRow {
  user_reference: string;
  amount_micros: bigint;
  period: SpendPeriod;
  spent_micros: bigint;
  held_micros: bigint;
  current_period_start: Date;
  resets_at: Date;
}

export function spendLimitFromRow(row: SpendLimitRow): SpendLimit {
  return {
    userReference: row.user_reference,
    amountMicros: row.amount_micros,
    period: row.period,
    spentMicros: row.spent_micros,
    heldMicros: row.held_micros,
    periodStart: row.current_period_start,
    resetsAt: row.resets_at,
  };
}
