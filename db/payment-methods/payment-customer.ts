// The account's customer at the provider: created once. Concurrent first requests may both create one
// at the provider; the unique account keeps exactly one, and the other is never used.
import type { Sql } from '../client.ts';

export async function findPaymentCustomer(sql: Sql, accountId: string): Promise<string | null> {
  const [row] = await sql<{ provider_customer_id: string }[]>`select provider_customer_id from payment_customers where account_id = ${accountId}`;
  return row?.provider_customer_id ?? null;
}

/** Stores the customer unless the account has one already; returns the one the account keeps. */
export async function storePaymentCustomer(sql: Sql, accountId: string, provider: 'stripe' | 'sandbox', providerCustomerId: string): Promise<string> {
  const [row] = await sql<{ provider_customer_id: string }[]>`
    with inserted as (
      insert into payment_customers (account_id, provider, provider_customer_id)
      values (${accountId}, ${provider}, ${providerCustomerId})
      on conflict (account_id) do nothing
      returning provider_customer_id)
    select provider_customer_id from inserted
    union all
    select provider_customer_id from payment_customers where account_id = ${accountId}
    limit 1`;
  return row!.provider_customer_id;
}
