// The payment exception already recorded for an event id, or for the provider's payment: the daily
// reconciliation links a difference to it instead of opening a second one.
import type { Sql } from '../client.ts';
import type { PaymentExceptionRow } from './payment-exception-row.ts';

export async function findPaymentExceptionOfPayment(sql: Sql, payment: { eventId: string; providerPaymentId: string | null }): Promise<PaymentExceptionRow | null> {
  const [row] = await sql<PaymentExceptionRow[]>`
    select * from payment_exceptions
    where event_id = ${payment.eventId} or (provider_payment_id is not null and provider_payment_id = ${payment.providerPaymentId})
    order by created_at limit 1`;
  return row ?? null;
}
