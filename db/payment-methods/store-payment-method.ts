// Stores a card a setup (or a top-up that opted in) saved. The first card of an account becomes its
// default. A redelivered event stores nothing new.
import type { Sql } from '../client.ts';
import { paymentMethodFromRow, type PaymentMethodRow, type StoredPaymentMethod } from './payment-method.ts';

export interface NewPaymentMethod {
  id: string;
  accountId: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

export async function storePaymentMethod(sql: Sql, input: NewPaymentMethod): Promise<StoredPaymentMethod> {
  return sql.begin(async (transaction) => {
    // One setup at a time per account decides which card is the first.
    await transaction`select 1 from accounts where id = ${input.accountId} for update`;
    const [row] = await transaction<PaymentMethodRow[]>`
      insert into payment_methods (id, account_id, brand, last4, exp_month, exp_year, is_default)
      values (${input.id}, ${input.accountId}, ${input.brand}, ${input.last4}, ${input.expMonth}, ${input.expYear},
              not exists (select 1 from payment_methods where account_id = ${input.accountId} and is_default))
      on conflict (id) do update set id = payment_methods.id
      returning *`;
    return paymentMethodFromRow(row!);
  });
}
