// Every side effect of the order workflow, built by a factory that receives its dependencies.
// Workflows import only the type of this module.
import type { Sql } from '../db/client.ts';
import type { Logger } from '../observability/logger.ts';
import { createBankTransferActivities } from './bank-transfers.ts';
import { withDatabaseErrorsClassified } from './database-errors.ts';
import { createInvoiceActivities, type InvoiceSettings, type MailTransport } from './invoices.ts';
import { createLegacyActivities } from './legacy.ts';
import { createOrderActivities } from './orders.ts';
import { createPaymentExceptionActivities } from './payment-exceptions.ts';
import { createPaymentActivities } from './payments.ts';
import { createPaperworkActivities } from './paperwork.ts';
import { createReconciliationActivities, type ReconciliationDependencies } from './reconciliation.ts';
import { createDailyReconciliationActivities } from './daily-reconciliation.ts';
import { createRefundActivities } from './refunds.ts';
import type { PaymentProvider } from './payments/provider.ts';
import { createAutoRechargeActivities, type AutoRechargeDependencies } from './auto-recharge.ts';
import { createAutoRechargeEmailActivities } from './auto-recharge-emails.ts';

export interface ActivityDependencies extends AutoRechargeDependencies {
  sql: Sql;
  paymentProvider: PaymentProvider;
  logger: Logger;
  mailTransport: MailTransport;
  invoices: InvoiceSettings;
  /** The client reconciliation delivers payment events with; a worker built without it cannot reconcile. */
  reconciliation?: ReconciliationDependencies;
}

export function createActivities(dependencies: ActivityDependencies) {
  // callProvider is the provider activities' shared error mapping, not an activity.
  const { callProvider: _callProvider, ...paymentActivities } = createPaymentActivities(dependencies);
  const invoiceActivities = createInvoiceActivities(dependencies);
  const paperworkActivities = createPaperworkActivities({
    recordReceipt: paymentActivities.recordReceipt,
    issueInvoice: invoiceActivities.issueInvoice,
    sendInvoiceEmail: invoiceActivities.sendInvoiceEmail,
    recordInvoiceEmailFailed: invoiceActivities.recordInvoiceEmailFailed,
    logger: dependencies.logger,
  });
  // Every activity, whether it touches the database or not: an error PostgreSQL will raise again on
  // retry stops its retries at once (activities/database-errors.ts).
  return withDatabaseErrorsClassified({
    ...createOrderActivities(dependencies),
    ...paymentActivities,
    ...createPaymentExceptionActivities(dependencies),
    ...createLegacyActivities(dependencies),
    ...invoiceActivities,
    ...paperworkActivities,
    ...createBankTransferActivities(dependencies),
    ...createRefundActivities(dependencies),
    ...createAutoRechargeActivities(dependencies),
    ...createAutoRechargeEmailActivities(dependencies),
    ...createReconciliationActivities(dependencies),
    ...createDailyReconciliationActivities(dependencies),
  });
}

export type OrderActivities = ReturnType<typeof createActivities>;
