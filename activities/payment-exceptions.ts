// Activities of a payment exception's workflow: record it once, and record ops' decision (with the
// ledger credit, for a credit decision) once. The refund's provider call is in payments.ts.
import { recordPaymentException } from '../db/payment-exceptions/record-payment-exception.ts';
import { resolvePaymentException } from '../db/payment-exceptions/resolve-payment-exception.ts';
import { paymentExceptionFromRow } from '../db/payment-exceptions/payment-exception-row.ts';
import type { PaymentExceptionInput, PaymentExceptionSnapshot } from '../domain/payment-exceptions.ts';
import type { ActivityDependencies } from './index.ts';
import type { PaymentExceptionResolution } from './payments.ts';

export interface RecordedPaymentException {
  exception: PaymentExceptionSnapshot;
  /** False when another event of the same payment recorded it first. */
  created: boolean;
}

export function createPaymentExceptionActivities({ sql, logger }: ActivityDependencies) {
  return {
    async recordPaymentException(input: PaymentExceptionInput): Promise<RecordedPaymentException> {
      const { row, created } = await recordPaymentException(sql, input);
      const context = { orderId: input.orderId, paymentExceptionId: row.id, stripeEventId: input.eventId, created };
      logger.error(context, 'payment for a closed order recorded as a payment exception');
      return { exception: paymentExceptionFromRow(row), created };
    },

    /** Credit (the order's locked quote, once) or dismiss; a refund goes through refundPaymentException. */
    async resolvePaymentException({ exception, decision }: PaymentExceptionResolution): Promise<PaymentExceptionSnapshot> {
      const row = await resolvePaymentException(sql, { exceptionId: exception.id, decision, refundId: null });
      logger.info({ orderId: exception.orderId, paymentExceptionId: exception.id, decision: decision.decision, actor: decision.actor }, 'payment exception resolved');
      return paymentExceptionFromRow(row);
    },
  };
}
