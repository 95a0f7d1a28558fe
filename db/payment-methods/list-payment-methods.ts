// The account's saved cards that are not detached, newest first (at most maximumPaymentMethodsPerAccount).
import type { Sql } from '../client.ts';
import { maximumPaymentMethodsPerAccount, paymentMethodFromRow, type PaymentMethodRow, type StoredPaymentMethod } from './payment-method.ts';

export async function listPaymentMethods(sql: Sql, accountId: string): Promise<StoredPaymentMethod[]> {
  const rows = await sql<PaymentMethodRow[]>`
    select * from payment_methods where account_id = ${accountId} and detached_at is null
    order by created_at desc, id limit ${maximumPaymentMethodsPerAccount * 2}`;
  return rows.map(paymentMethodFromRow);
}

/** One card of the account, detached or not; null when the account has no such card. */
export async function getPaymentMethod(sql: Sql, accountId: string, id: string): Promise<StoredPaymentMethod | null> {
  const [row] = await sql<PaymentMethodRow[]>`select * from payment_methods where account_id = ${accountId} and id = ${id}`;
  return row === undefined ? null : paymentMethodFromRow(row);
}
