// Ops' list of payment exceptions, oldest first (the longest-waiting payment at the top), by keyset.
import type { Sql } from '../client.ts';
import type { PaymentExceptionStatus } from '../../domain/payment-exceptions.ts';
import type { PaymentExceptionRow } from './payment-exception-row.ts';

export interface ListPaymentExceptionsInput {
  status: PaymentExceptionStatus | null;
  /** The sequence of the last row of the previous page. */
  afterSequence: bigint | null;
  limit: number;
}

export async function listPaymentExceptions(sql: Sql, input: ListPaymentExceptionsInput): Promise<PaymentExceptionRow[]> {
  return sql<PaymentExceptionRow[]>`
    select * from payment_exceptions
    where true
      ${input.status === null ? sql`` : sql`and status = ${input.status}`}
      ${input.afterSequence === null ? sql`` : sql`and sequence > ${input.afterSequence}`}
    order by sequence
    limit ${input.limit}`;
}

