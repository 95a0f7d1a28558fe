// Reads one payment exception by id.
import type { Sql } from '../client.ts';
import type { PaymentExceptionRow } from './payment-exception-row.ts';

export async function getPaymentException(sql: Sql, id: string): Promise<PaymentExceptionRow | null> {
  const [row] = await sql<PaymentExceptionRow[]>`select * from payment_exceptions where id = ${id}`;
  return row ?? null;
}
