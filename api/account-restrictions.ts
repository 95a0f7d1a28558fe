// The refusal of an account that is restricted (an open dispute; migration 0011): deductions, new
// top-ups and refund requests answer 403 account_restricted with a clear message.
import type { Sql } from '../db/client.ts';
import { restrictionsInForce } from '../db/accounts/account-restriction.ts';
import { ApiError } from '../domain/errors.ts';

export async function refuseRestrictedAccount(sql: Sql, accountId: string): Promise<void> {
  const [restriction] = await restrictionsInForce(sql, accountId);
  if (restriction === undefined) return;
  throw new ApiError(
    'account_restricted',
    `The account is restricted since ${restriction.createdAt.toISOString()} (${restriction.reason}): deductions and top-ups are refused until it is lifted. Contact support.`,
  );
}
