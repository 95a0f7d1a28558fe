// Reads an account's spend limits with what each user spent in the current period and holds now.
import type { Queryable } from '../client.ts';
import { spendLimitFromRow, type SpendLimit, type SpendLimitRow } from './spend-limit.ts';

/** The most limits an account lists (and may set): a bound on the page, which has no cursor. */
export const maximumSpendLimitsPerAccount = 1_000;

/**
 * The account's limits, or one user's. The stored spent_micros belongs to the period that starts at
 * period_start: from another period it counts nothing, as the trigger would reset it.
 */
export async function listSpendLimits(sql: Queryable, accountId: string, userReference: string | null = null): Promise<SpendLimit[]> {
  const rows = await sql<SpendLimitRow[]>`
    select s.user_reference, s.amount_micros, s.period, p.current_period_start,
           p.current_period_start + ('1 ' || s.period)::interval as resets_at,
           case when s.period_start = p.current_period_start then s.spent_micros else 0 end as spent_micros,
           coalesce((select sum(h.amount_micros) from holds h
                     where h.account_id = s.account_id and h.user_reference = s.user_reference
                       and h.status = 'active' and h.expires_at > now()), 0)::bigint as held_micros
    from spend_limits s
    cross join lateral (select spend_period_start(s.period, now()) as current_period_start) p
    where s.account_id = ${accountId}
      ${userReference === null ? sql`` : sql`and s.user_reference = ${userReference}`}
    order by s.user_reference
    limit ${maximumSpendLimitsPerAccount}`;
  return rows.map(spendLimitFromRow);
}
