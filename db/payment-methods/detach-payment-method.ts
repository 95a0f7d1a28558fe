// Marks a card detached (after the provider detached it) and, in the same transaction, switches off
// the auto-recharge that charges it, with the reason: a deleted card is never charged again, and
// auto-recharge never moves to another card the customer did not agree to.
import type { Sql } from '../client.ts';

export interface DetachResult {
  /** Whether an auto-recharge was switched off because it used this card. */
  autoRechargeDisabled: boolean;
}

export const cardDeletedReason = 'The card auto-recharge charges was deleted; choose another card and enable it again.';

export async function detachPaymentMethod(sql: Sql, accountId: string, id: string): Promise<DetachResult> {
  return sql.begin(async (transaction) => {
    await transaction`select 1 from accounts where id = ${accountId} for update`;
    const [method] = await transaction<{ is_default: boolean }[]>`
      select is_default from payment_methods where account_id = ${accountId} and id = ${id} and detached_at is null`;
    if (method === undefined) return { autoRechargeDisabled: false };
    await transaction`update payment_methods set detached_at = now(), is_default = false where id = ${id}`;
    // The newest remaining card becomes the default when the default went.
    if (method.is_default) {
      await transaction`
        update payment_methods set is_default = true
        where id = (select id from payment_methods where account_id = ${accountId} and detached_at is null order by created_at desc, id limit 1)`;
    }
    const disabled = await transaction`
      update auto_recharge_settings set enabled = false, disabled_reason = ${cardDeletedReason}, version = version + 1, updated_at = now()
      where account_id = ${accountId} and enabled
        and (payment_method_id = ${id} or (payment_method_id is null and ${method.is_default}))
      returning account_id`;
    return { autoRechargeDisabled: disabled.length > 0 };
  });
}
