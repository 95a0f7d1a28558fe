// Records a payment exception once per provider event and once per payment: a redelivered event, or a
// second event of the same payment, finds the exception already there.
import type { Sql } from '../client.ts';
import { paymentExceptionIdFor, type PaymentExceptionInput } from '../../domain/payment-exceptions.ts';
import type { PaymentExceptionRow } from './payment-exception-row.ts';

export interface RecordPaymentExceptionResult {
  row: PaymentExceptionRow;
  /** False when this event, or another event of the same payment, had recorded it already. */
  created: boolean;
}

export async function recordPaymentException(sql: Sql, input: PaymentExceptionInput): Promise<RecordPaymentExceptionResult> {
  const [inserted] = await sql<PaymentExceptionRow[]>`
    insert into payment_exceptions (id, event_id, provider, provider_payment_id, order_id, account_id,
                                    amount_minor_units, currency, order_status, reason)
    values (${paymentExceptionIdFor(input.eventId)}, ${input.eventId}, ${input.provider}, ${input.providerPaymentId},
            ${input.orderId}, ${input.accountId}, ${input.amountMinorUnits}, ${input.currency}, ${input.orderStatus},
            ${input.reason})
    on conflict do nothing
    returning *`;
  if (inserted !== undefined) return { row: inserted, created: true };
  const [existing] = await sql<PaymentExceptionRow[]>`
    select * from payment_exceptions
    where event_id = ${input.eventId} or (provider_payment_id is not null and provider_payment_id = ${input.providerPaymentId})
    order by created_at limit 1`;
  if (existing === undefined) throw new Error(`payment exception for event ${input.eventId} conflicts but cannot be found`);
  // The same event again is this exception's own retried insert; another event of the payment is not.
  return { row: existing, created: existing.event_id === input.eventId };
}
