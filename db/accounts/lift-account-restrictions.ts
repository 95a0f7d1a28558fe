// Ops lift every restriction in force on an account, with a reason; returns how many were lifted.
import type { Sql } from '../client.ts';

export async function liftAccountRestrictions(sql: Sql, input: { accountId: string; operator: string; reason: string }): Promise<number> {
  const lifted = await sql`
    update account_restrictions set lifted_at = now(), lifted_by = ${input.operator}, lift_reason = ${input.reason}
    where account_id = ${input.accountId} and lifted_at is null returning id`;
  return lifted.length;
}
