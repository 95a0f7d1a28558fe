// Sets a user's spend limit, counting what the user already consumed in the current period.
import type { Sql } from '../client.ts';
import { customerBalanceCode } from '../ledger/ledger-account-codes.ts';
import { listSpendLimits, maximumSpendLimitsPerAccount } from './list-spend-limits.ts';
import type { SpendLimit, SpendPeriod } from './spend-limit.ts';

export interface PutSpendLimitInput {
  accountId: string;
  userReference: string;
  amountMicros: bigint;
  period: SpendPeriod;
}

/** The account already has maximumSpendLimitsPerAccount limits; nothing was changed. */
export class TooManySpendLimitsError extends Error {
  override name = 'TooManySpendLimitsError';
}

/**
 * Creates or replaces the limit. The customer's ledger account is locked first, as every transfer
 * locks it, so no consumption of the user commits between the count of the period's spending and the
 * row that counts from then on.
 */
export async function putSpendLimit(sql: Sql, input: PutSpendLimitInput): Promise<SpendLimit> {
  return sql.begin(async (transaction) => {
    await transaction`select 1 from ledger_accounts where code = ${customerBalanceCode(input.accountId)} for update`;
    const [count] = await transaction<{ limits: bigint; exists: boolean }[]>`
      select count(*)::bigint as limits, bool_or(user_reference = ${input.userReference}) as exists
      from spend_limits where account_id = ${input.accountId}`;
    if (count !== undefined && count.exists !== true && count.limits >= BigInt(maximumSpendLimitsPerAccount)) {
      throw new TooManySpendLimitsError(`an account has at most ${maximumSpendLimitsPerAccount} spend limits`);
    }
    await transaction`
      insert into spend_limits (account_id, user_reference, amount_micros, period, period_start, spent_micros)
      select ${input.accountId}, ${input.userReference}, ${input.amountMicros.toString()}, ${input.period}, p.start,
             coalesce((select sum(e.amount_micros) from transfers t
                       join entries e on e.transfer_id = t.id
                       join ledger_accounts l on l.id = e.ledger_account_id and l.kind = 'usage_revenue'
                       where t.account_id = ${input.accountId} and t.user_reference = ${input.userReference}
                         and t.created_at >= p.start), 0)::bigint
      from (select spend_period_start(${input.period}, now()) as start) p
      on conflict (account_id, user_reference) do update
      set amount_micros = excluded.amount_micros, period = excluded.period, period_start = excluded.period_start,
          spent_micros = excluded.spent_micros, updated_at = now()`;
    const [limit] = await listSpendLimits(transaction, input.accountId, input.userReference);
    if (limit === undefined) throw new Error(`spend limit of ${input.userReference} was not stored`);
    return limit;
  });
}
