// What a consumption refused for lack of balance reports: balance.depleted (at most once an hour, for an
// account with alerts; db/balance-alerts/record-balance-depleted.ts). The refusal is answered the same
// whether or not this could be written: a failure here is logged, never turned into a 5xx.
import { recordBalanceDepleted } from '../db/balance-alerts/record-balance-depleted.ts';
import type { ApiDependencies } from './dependencies.ts';

export async function reportDepletedBalance(dependencies: ApiDependencies, accountId: string, refusedAmountMicros: bigint): Promise<void> {
  try {
    await recordBalanceDepleted(dependencies.sql, accountId, refusedAmountMicros);
  } catch (error) {
    dependencies.logger.warn({ err: error, accountId }, 'balance.depleted could not be recorded');
  }
}
