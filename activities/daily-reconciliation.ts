// The daily reconciliation's activities (README "Reconciliation"): compare one UTC day's successful
// checkout payments at the provider with the card orders Refill credited that day, and record what
// differs. The report tables (reconciliation_reports, reconciliation_report_lines) are written only here,
// by recordDailyReport; each difference's payment exception is opened through its own workflow
// (paymentExceptionWorkflow), which owns that row, exactly as a late payment's is.
import { findOrderOfCheckout } from '../db/orders/find-order-of-checkout.ts';
import { listCreditedCheckoutOrders } from '../db/orders/list-credited-checkout-orders.ts';
import type { OrderRow } from '../db/orders/order-row.ts';
import { findPaymentExceptionOfPayment } from '../db/payment-exceptions/find-payment-exception-of-payment.ts';
import { saveReconciliationReport, type NewReportLine } from '../db/reconciliation-reports/save-reconciliation-report.ts';
import {
  dailyDifferenceEventId,
  dayRange,
  differenceOf,
  maximumDifferencesPerDay,
  type DailyComparison,
  type DailyDifference,
  type ProviderSide,
  type RefillSide,
} from '../domain/daily-reconciliation.ts';
import { failure } from '../domain/failures.ts';
import { microsToMinorUnits } from '../domain/money.ts';
import { paymentExceptionIdFor, type PaymentExceptionInput } from '../domain/payment-exceptions.ts';
import { startPaymentExceptionWorkflow } from '../api/webhooks/start-payment-exception.ts';
import type { ActivityDependencies } from './index.ts';
import { PermanentProviderError, type ListedPayment, type RetrievedPayment } from './payments/provider.ts';

/** What recordDailyReport stores: the comparison, and the run that made it. */
export interface DailyReportInput {
  comparison: DailyComparison;
  workflowId: string;
  runId: string;
}

function refillSideOf(order: OrderRow): RefillSide {
  return {
    orderId: order.id,
    credited: order.credited_at !== null,
    checkoutSessionId: order.checkout_session_id,
    providerPaymentId: order.provider_payment_id,
    amount: { amountMinorUnits: microsToMinorUnits(order.pay_amount_micros, order.currency).toString(), currency: order.currency.toLowerCase() },
  };
}

function providerSideOf(checkoutSessionId: string, payment: RetrievedPayment): ProviderSide {
  return {
    paid: payment.status === 'paid',
    checkoutSessionId,
    providerPaymentId: payment.reference,
    amount: { amountMinorUnits: payment.amountMinorUnits?.toString() ?? null, currency: payment.currency?.toLowerCase() ?? null },
  };
}

export function createDailyReconciliationActivities(dependencies: ActivityDependencies) {
  const { sql, paymentProvider, logger } = dependencies;

  /** The provider's answer, with a failure it will repeat marked permanent so the run fails fast with it. */
  async function askProvider<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      logger.warn({ provider: paymentProvider.name, err: error }, 'daily reconciliation: payment provider call failed');
      if (error instanceof PermanentProviderError) throw failure('provider_rejected', error.message, error);
      throw error;
    }
  }

  /** A listed payment with no credited order of the day: its order (any day) says whether it differs. */
  async function compareListedPayment(payment: ListedPayment): Promise<DailyDifference | null> {
    const order = await findOrderOfCheckout(sql, payment);
    // Airwallex and other non-card orders are not compared with the provider's checkout list.
    if (order !== null && order.payment_method !== 'stripe') return null;
    return differenceOf(order === null ? null : refillSideOf(order), providerSideOf(payment.checkoutSessionId, payment));
  }

  /** A credited order the day's list does not have: the provider is asked about it (it may be listed on another day). */
  async function compareUnlistedOrder(order: OrderRow): Promise<DailyDifference | null> {
    const retrieve = paymentProvider.retrieveCheckoutPayment;
    const sessionId = order.checkout_session_id!;
    const payment = retrieve === undefined ? null : await askProvider(() => retrieve.call(paymentProvider, { orderId: order.id, checkoutSessionId: sessionId }));
    return differenceOf(refillSideOf(order), payment === null ? null : providerSideOf(sessionId, payment));
  }

  return {
    /** Lists the day at the provider and in Refill and returns every difference between them. */
    async compareDailyPayments(date: string): Promise<DailyComparison> {
      const list = paymentProvider.listSuccessfulPayments;
      if (list === undefined) throw failure('reconciliation_not_configured', `the ${paymentProvider.name} provider cannot list a day's payments`);
      const range = dayRange(date);
      const listed = await askProvider(() => list.call(paymentProvider, range));
      const credited = await listCreditedCheckoutOrders(sql, range);
      const listedBySession = new Map(listed.map((payment) => [payment.checkoutSessionId, payment]));
      const creditedSessions = new Set(credited.map((order) => order.checkout_session_id));
      const differences: DailyDifference[] = [];
      for (const order of credited) {
        const payment = listedBySession.get(order.checkout_session_id!);
        const difference = payment === undefined ? await compareUnlistedOrder(order) : differenceOf(refillSideOf(order), providerSideOf(payment.checkoutSessionId, payment));
        if (difference !== null) differences.push(difference);
      }
      for (const payment of listed) {
        if (creditedSessions.has(payment.checkoutSessionId)) continue;
        const difference = await compareListedPayment(payment);
        if (difference !== null) differences.push(difference);
      }
      return { date, provider: paymentProvider.name, providerPaymentCount: listed.length, creditedOrderCount: credited.length, differences };
    },

    /** Opens (or finds) each difference's payment exception and stores the day's report, replacing an earlier run's. */
    async recordDailyReport(input: DailyReportInput): Promise<string[]> {
      const { comparison } = input;
      const recorded = comparison.differences.slice(0, maximumDifferencesPerDay);
      const lines: NewReportLine[] = [];
      for (const difference of recorded) lines.push(lineOf(difference, await openException(difference)));
      await saveReconciliationReport(
        sql,
        {
          report_date: comparison.date,
          provider: comparison.provider,
          provider_payment_count: comparison.providerPaymentCount,
          credited_order_count: comparison.creditedOrderCount,
          difference_count: comparison.differences.length,
          workflow_id: input.workflowId,
          run_id: input.runId,
        },
        lines,
      );
      logger.info({ date: comparison.date, differences: comparison.differences.length }, 'daily reconciliation report stored');
      return [...new Set(recorded.map((difference) => difference.orderId).filter((orderId) => orderId !== null))];
    },
  };

  /** The difference's payment exception: the one already open for it or its payment, else a new one. */
  async function openException(difference: DailyDifference): Promise<string | null> {
    if (difference.orderId === null) return null;
    const order = await findOrderOfCheckout(sql, { orderId: difference.orderId, checkoutSessionId: difference.checkoutSessionId ?? '' });
    if (order === null) return null;
    const eventId = dailyDifferenceEventId(difference);
    // Nothing was paid for a credited_not_paid order, so the exception names no payment to refund.
    const providerPaymentId = difference.kind === 'credited_not_paid' ? null : difference.providerPaymentId;
    const existing = await findPaymentExceptionOfPayment(sql, { eventId, providerPaymentId });
    if (existing !== null) return existing.id;
    await startExceptionWorkflow(order, { eventId, providerPaymentId, difference });
    return paymentExceptionIdFor(eventId);
  }

  async function startExceptionWorkflow(order: OrderRow, opened: { eventId: string; providerPaymentId: string | null; difference: DailyDifference }): Promise<void> {
    const reconciliation = dependencies.reconciliation;
    if (reconciliation === undefined) throw failure('reconciliation_not_configured', 'this worker was built without a Temporal client for reconciliation');
    const input: PaymentExceptionInput = {
      eventId: opened.eventId,
      orderId: order.id,
      accountId: order.account_id,
      provider: 'stripe',
      providerPaymentId: opened.providerPaymentId,
      amountMinorUnits: opened.difference.provider.amountMinorUnits,
      currency: opened.difference.provider.currency,
      orderStatus: order.status,
      reason: `daily reconciliation: ${opened.difference.kind}: ${opened.difference.detail}`,
    };
    await startPaymentExceptionWorkflow(reconciliation, order, input);
  }
}

function lineOf(difference: DailyDifference, paymentExceptionId: string | null): NewReportLine {
  return {
    kind: difference.kind,
    order_id: difference.orderId,
    checkout_session_id: difference.checkoutSessionId,
    provider_payment_id: difference.providerPaymentId,
    provider_amount_minor_units: difference.provider.amountMinorUnits === null ? null : BigInt(difference.provider.amountMinorUnits),
    provider_currency: difference.provider.currency,
    refill_amount_minor_units: difference.refill.amountMinorUnits === null ? null : BigInt(difference.refill.amountMinorUnits),
    refill_currency: difference.refill.currency,
    payment_exception_id: paymentExceptionId,
    detail: difference.detail,
  };
}
