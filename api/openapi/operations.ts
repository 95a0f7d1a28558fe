// Every operation of the API contract: one entry per route module, each exporting the operations it
// serves next to its schemas. Adding a route: describe it in its module's `…Operations` (operation.ts
// says what an operation holds), and add the module's list here if it is a new module. The contract
// test (test/openapi.test.ts) fails for a route the app mounts that is not here, and the other way round.
import { adminAccountOperations } from '../routes/admin-accounts.ts';
import { adminAuditLogOperations } from '../routes/admin-audit-log.ts';
import { adminWebhookOperations } from '../routes/admin-webhooks.ts';
import { autoRechargeOperations } from '../routes/auto-recharge.ts';
import { balanceAlertOperations } from '../routes/balance-alerts.ts';
import { paymentMethodOperations } from '../routes/payment-methods.ts';
import { sandboxSetupOperations } from '../routes/sandbox-setup.ts';
import { adminHoldOperations } from '../routes/admin-holds.ts';
import { adminPaymentExceptionOperations } from '../routes/admin-payment-exceptions.ts';
import { adminPortalSessionOperations } from '../routes/admin-portal-sessions.ts';
import { portalOperations } from '../routes/portal.ts';
import { adminReconciliationReportOperations } from '../routes/admin-reconciliation-reports.ts';
import { adminPromoCodeOperations } from '../routes/admin-promo-codes.ts';
import { adminRefundOperations } from '../routes/admin-refunds.ts';
import { adminTopUpOperations } from '../routes/admin-topups.ts';
import { airwallexWebhookOperations } from '../routes/airwallex-webhook.ts';
import { apiContractOperations } from '../routes/api-contract.ts';
import { healthOperations } from '../routes/health.ts';
import { holdOperations } from '../routes/holds.ts';
import { invoiceDownloadOperations } from '../routes/invoice-downloads.ts';
import { invoiceOperations } from '../routes/invoices.ts';
import { ledgerOperations } from '../routes/ledger.ts';
import { metricsOperations } from '../routes/metrics.ts';
import { opsConsoleOperations } from '../routes/ops-console.ts';
import { paymentQrOperations } from '../routes/payment-qr.ts';
import { refundOperations } from '../routes/refunds.ts';
import { checkoutReturnOperations, sandboxOperations } from '../routes/sandbox.ts';
import { spendLimitOperations } from '../routes/spend-limits.ts';
import { stripeWebhookOperations } from '../routes/stripe-webhook.ts';
import { topUpOperations } from '../routes/topups.ts';
import { buildOpenApiDocument } from './document.ts';
import type { ApiOperation } from './operation.ts';

export const apiOperations: readonly ApiOperation[] = [
  ...opsConsoleOperations,
  ...healthOperations,
  ...apiContractOperations,
  ...metricsOperations,
  ...ledgerOperations,
  ...topUpOperations,
  ...invoiceOperations,
  ...refundOperations,
  ...holdOperations,
  ...spendLimitOperations,
  ...stripeWebhookOperations,
  ...airwallexWebhookOperations,
  ...paymentQrOperations,
  ...invoiceDownloadOperations,
  ...checkoutReturnOperations,
  ...sandboxOperations,
  ...adminAccountOperations,
  ...adminPromoCodeOperations,
  ...adminTopUpOperations,
  ...adminPaymentExceptionOperations,
  ...adminReconciliationReportOperations,
  ...adminAuditLogOperations,
  ...adminHoldOperations,
  ...adminRefundOperations,
  // Saved cards, auto-recharge, outgoing webhooks and balance alerts.
  ...paymentMethodOperations,
  ...autoRechargeOperations,
  ...sandboxSetupOperations,
  ...adminWebhookOperations,
  ...balanceAlertOperations,
  // The billing portal: its session links and its pages.
  ...adminPortalSessionOperations,
  ...portalOperations,
];

let document: ReturnType<typeof buildOpenApiDocument> | null = null;

/** The contract of this API, built on first use and kept: it depends on the code alone. */
export function openApiDocument(): ReturnType<typeof buildOpenApiDocument> {
  document ??= buildOpenApiDocument(apiOperations);
  return document;
}
