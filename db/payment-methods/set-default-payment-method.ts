// Makes one card the account's default: the others lose it in the same transaction.
import type { Sql } from '../client.ts';
import { paymentMethodFromRow, type PaymentMethodRow, type StoredPaymentMethod } from './payment-method.ts';

/** The card as it is afterwards; null when the account has no such card that is not detached. */
export async function setDefaultPaymentMethod(sql: Sql, accountId: string, id: string): Promise<StoredPaymentMethod | null> {
  return sql.begin(async (transaction) => {
    await transaction`select 1 from accounts where id = ${accountId} for update`;
    const [exists] = await transaction`select 1 from payment_methods where account_id = ${accountId} and id = ${id} and detached_at is null`;
    if (exists === undefined) return null;
    await transaction`update payment_methods set is_default = false where account_id = ${accountId} and is_default and id <> ${id}`;
    const [row] = await transaction<PaymentMethodRow[]>`update payment_methods set is_default = true where id = ${id} returning *`;
    return paymentMethodFromRow(row!);
  });
}
