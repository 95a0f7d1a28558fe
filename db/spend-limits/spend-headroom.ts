// What a user may still spend under their limit, read outside the ledger's transaction: a quick refusal
// for requests that cannot pass, so that the ledger's own check (the trigger, at commit) refuses only
// the few that race each other near the limit.
import type { Sql } from '../client.ts';
import { listSpendLimits } from './list-spend-limits.ts';

/** The limit minus spent and held, or null when the user has no limit. */
export async function spendHeadroomMicros(sql: Sql, accountId: string, userReference: string): Promise<bigint | null> {
  const [limit] = await listSpendLimits(sql, accountId, userReference);
  return limit === undefined ? null : limit.amountMicros - limit.spentMicros - limit.heldMicros;
}
