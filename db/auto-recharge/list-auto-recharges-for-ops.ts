// Ops' view of auto-recharges across accounts (GET /admin/auto-recharges?state=), most recently changed first.
import type { AutoRechargeState } from '../../domain/auto-recharge.ts';
import type { Sql } from '../client.ts';
import { autoRechargeFromRow, type AutoRechargeView, type AutoRechargeViewRow } from './auto-recharge-settings.ts';
import { autoRechargeViewQuery } from './get-auto-recharge.ts';

export async function listAutoRechargesForOps(sql: Sql, state: AutoRechargeState | null, limit: number): Promise<AutoRechargeView[]> {
  const stateFilter =
    state === null
      ? sql``
      : state === 'disabled'
        ? sql`where (not s.enabled or (st.stopped_version = s.version and st.stopped_state = 'disabled'))`
        : state === 'paused'
          ? sql`where s.enabled and st.stopped_version = s.version and st.stopped_state = 'paused'`
          : sql`where s.enabled and (st.stopped_version is distinct from s.version)`;
  const rows = await sql<AutoRechargeViewRow[]>`${autoRechargeViewQuery(sql)} ${stateFilter} order by s.updated_at desc, s.account_id limit ${limit}`;
  return rows.map(autoRechargeFromRow);
}
