// A deduction refused for lack of balance: a balance.depleted event, at most once an hour per account
// and only for an account with alerts. One statement: the conditional update of the alert row decides,
// so concurrent refusals write one event. The refused deduction itself wrote nothing (its transaction
// rolled back), which is why this is a transaction of its own. Returns whether an event was written.
import type { Queryable } from '../client.ts';

export async function recordBalanceDepleted(sql: Queryable, accountId: string, refusedAmountMicros: bigint): Promise<boolean> {
  const rows = await sql`
    with due as (
      update balance_alerts set depleted_notified_at = now()
      where account_id = ${accountId} and cardinality(thresholds_micros) > 0
        and (depleted_notified_at is null or depleted_notified_at <= now() - interval '1 hour')
      returning account_id
    )
    select record_webhook_event('balance.depleted', due.account_id, jsonb_build_object(
      'account_id', due.account_id, 'currency', l.currency, 'available_micros', l.balance_micros,
      'refused_amount_micros', ${refusedAmountMicros.toString()}::bigint))
    from due join ledger_accounts l on l.account_id = due.account_id and l.kind = 'customer_balance'`;
  return rows.length > 0;
}
