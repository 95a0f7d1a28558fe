// Reads an account's auto-recharge (settings, the workflow's status, the month's spending) in one query.
import type { Queryable as Sql } from '../client.ts';
import { autoRechargeFromRow, type AutoRechargeView, type AutoRechargeViewRow } from './auto-recharge-settings.ts';

/** The columns of the view, for this query and the ops list. */
export function autoRechargeViewQuery(sql: Sql) {
  return sql`
    select s.*, st.settings_version as status_settings_version, st.stopped_version, st.stopped_state, st.stopped_reason, st.consecutive_failures, st.last_attempt_at,
           st.last_attempt_outcome, st.last_attempt_amount_micros, st.last_attempt_decline_code,
           coalesce((select sum(a.amount_micros) from auto_recharge_attempts a
                     where a.account_id = s.account_id and a.status in ('succeeded', 'charging')
                       and a.created_at >= date_trunc('month', now() at time zone 'UTC') at time zone 'UTC'), 0)::bigint
             as spent_this_month_micros
    from auto_recharge_settings s
    left join auto_recharge_status st on st.account_id = s.account_id`;
}

export async function getAutoRecharge(sql: Sql, accountId: string): Promise<AutoRechargeView | null> {
  const [row] = await sql<AutoRechargeViewRow[]>`${autoRechargeViewQuery(sql)} where s.account_id = ${accountId}`;
  return row === undefined ? null : autoRechargeFromRow(row);
}
