// What the auto-recharge workflow records of a round: the attempt's outcome, the order's, and the
// account's status row (failures in a row for the settings version, the stop, the last attempt).
// The workflow is these rows' only writer.
import type { Queryable, Sql } from '../client.ts';

export interface StatusChange {
  accountId: string;
  settingsVersion: number;
  consecutiveFailures: number;
  stop: { state: 'paused' | 'disabled'; reason: string } | null;
  outcome: 'succeeded' | 'declined' | 'authentication_required' | 'failed' | 'skipped';
  amountMicros: bigint | null;
  declineCode: string | null;
  reason: string | null;
}

/** Upserts the status row; a stop names the settings version it stops. */
export async function recordAutoRechargeStatus(sql: Queryable, change: StatusChange): Promise<void> {
  const stoppedVersion = change.stop === null ? null : change.settingsVersion;
  await sql`
    insert into auto_recharge_status (account_id, settings_version, stopped_version, stopped_state, stopped_reason, consecutive_failures,
                                      last_attempt_at, last_attempt_outcome, last_attempt_amount_micros, last_attempt_decline_code, last_attempt_reason)
    values (${change.accountId}, ${change.settingsVersion}, ${stoppedVersion}, ${change.stop?.state ?? null}, ${change.stop?.reason ?? null},
            ${change.consecutiveFailures}, now(), ${change.outcome}, ${change.amountMicros?.toString() ?? null}, ${change.declineCode}, ${change.reason})
    on conflict (account_id) do update
    set settings_version = excluded.settings_version,
        stopped_version = coalesce(excluded.stopped_version, case when auto_recharge_status.stopped_version = excluded.settings_version then auto_recharge_status.stopped_version end),
        stopped_state = case when excluded.stopped_version is not null then excluded.stopped_state
                             when auto_recharge_status.stopped_version = excluded.settings_version then auto_recharge_status.stopped_state end,
        stopped_reason = case when excluded.stopped_version is not null then excluded.stopped_reason
                              when auto_recharge_status.stopped_version = excluded.settings_version then auto_recharge_status.stopped_reason end,
        consecutive_failures = excluded.consecutive_failures, last_attempt_at = excluded.last_attempt_at,
        last_attempt_outcome = excluded.last_attempt_outcome, last_attempt_amount_micros = excluded.last_attempt_amount_micros,
        last_attempt_decline_code = excluded.last_attempt_decline_code, last_attempt_reason = excluded.last_attempt_reason, updated_at = now()`;
}

/** A failed attempt: the attempt and its order failed with the reason, and the status, in one transaction. */
export async function recordAutoRechargeFailure(
  sql: Sql,
  input: { attemptId: string; outcome: 'declined' | 'authentication_required' | 'failed'; declineCode: string | null; reason: string; status: StatusChange },
): Promise<void> {
  await sql.begin(async (transaction) => {
    const [attempt] = await transaction<{ order_id: string }[]>`
      update auto_recharge_attempts set status = ${input.outcome}, decline_code = ${input.declineCode}, finished_at = now()
      where id = ${input.attemptId} and status = 'charging' returning order_id`;
    if (attempt === undefined) return;
    await transaction`update orders set status = 'failed', failure_reason = ${input.reason}, updated_at = now() where id = ${attempt.order_id} and status = 'processing'`;
    await recordAutoRechargeStatus(transaction, input.status);
  });
}
