// The quick refusal of a consumption, hold or extension that would take its user past their spend limit,
// before the ledger is asked; the ledger checks again in the transfer's own transaction (migration 0012).
import type { Sql } from '../db/client.ts';
import { spendHeadroomMicros } from '../db/spend-limits/spend-headroom.ts';
import { ApiError } from '../domain/errors.ts';

/** Throws 402 spend_limit_reached when the increase is more than the user's limit has left. */
export async function refuseOverSpendLimit(
  sql: Sql,
  accountId: string,
  userReference: string | null,
  increaseMicros: bigint,
  nothingWas: 'deducted' | 'held',
): Promise<void> {
  if (userReference === null || increaseMicros <= 0n) return;
  const headroom = await spendHeadroomMicros(sql, accountId, userReference);
  if (headroom !== null && increaseMicros > headroom) {
    throw new ApiError('spend_limit_reached', `This would take ${userReference} past their spend limit; nothing was ${nothingWas}.`, 'amount');
  }
}
