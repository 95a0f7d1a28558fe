// The Express application: routes, body parsing and error rendering. No I/O at construction.
// The edge's defences come first: a request id, security headers, rate limits (see rate-limits.ts).
import express, { type Express, type RequestHandler } from 'express';
import { ApiError } from '../domain/errors.ts';
import { auditAdminWrites } from './admin-audit.ts';
import { requireAccount, requireAdmin } from './auth.ts';
import type { ApiDependencies } from './dependencies.ts';
import { errorHandler, notFoundHandler } from './error-handler.ts';
import { refuseOtherOperator } from './operator.ts';
import { createReadiness } from './readiness.ts';
import { authenticationFailureLimit, routeLimits } from './rate-limits.ts';
import { assignRequestId, requestScopedLogger } from './request-context.ts';
import { securityHeaders } from './security-headers.ts';
import { refuseNonTextQuery } from './validation.ts';
import { adminAccountRoutes } from './routes/admin-accounts.ts';
import { balanceAlertRoutes } from './routes/balance-alerts.ts';
import { adminAuditLogRoutes } from './routes/admin-audit-log.ts';
import { adminHoldRoutes } from './routes/admin-holds.ts';
import { adminPaymentExceptionRoutes } from './routes/admin-payment-exceptions.ts';
import { adminReconciliationReportRoutes } from './routes/admin-reconciliation-reports.ts';
import { adminPromoCodeRoutes } from './routes/admin-promo-codes.ts';
import { adminRefundRoutes } from './routes/admin-refunds.ts';
import { adminTopUpRoutes } from './routes/admin-topups.ts';
import { adminWebhookRoutes } from './routes/admin-webhooks.ts';
import { healthRoutes } from './routes/health.ts';
import { invoiceDownloadRoutes } from './routes/invoice-downloads.ts';
import { apiContractRoutes } from './routes/api-contract.ts';
import { apiOperations, openApiDocument } from './openapi/operations.ts';
import { recordHttpMetrics } from './http-metrics.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { opsConsoleRoutes } from './routes/ops-console.ts';
import { invoiceRoutes } from './routes/invoices.ts';
import { ledgerRoutes } from './routes/ledger.ts';
import { refundRoutes } from './routes/refunds.ts';
import { holdRoutes } from './routes/holds.ts';
import { spendLimitRoutes } from './routes/spend-limits.ts';
import { checkoutReturnRoutes, sandboxRoutes } from './routes/sandbox.ts';
import { stripeWebhookRoutes } from './routes/stripe-webhook.ts';
import { topUpRoutes } from './routes/topups.ts';
import { paymentMethodRoutes } from './routes/payment-methods.ts';
import { autoRechargeRoutes } from './routes/auto-recharge.ts';
import { sandboxSetupRoutes } from './routes/sandbox-setup.ts';
import { offeredPricing } from '../domain/pricing.ts';
import { airwallexWebhookRoutes } from './routes/airwallex-webhook.ts';
import { paymentQrRoutes } from './routes/payment-qr.ts';
import { adminPortalSessionRoutes } from './routes/admin-portal-sessions.ts';
import { portalRoutes } from './routes/portal.ts';
import { availableProviders, sandboxServes } from './topups/available-providers.ts';

export { attachClientErrorHandler, createHttpServer } from './http-server.ts';

/** Bodies are small JSON documents; anything larger is refused before it is parsed. */
export const maximumBodySize = '64kb';

/** A body must be JSON: anything sent with another type is refused before it is read. */
const refuseNonJsonBody: RequestHandler = (request, _response, next) => {
  const hasBody = request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0';
  if ((hasBody || request.headers['transfer-encoding'] !== undefined) && !request.is('application/json')) {
    return next(new ApiError('unsupported_media_type', 'Send the body as application/json.'));
  }
  next();
};

const jsonBody = express.json({ limit: maximumBodySize, strict: true, type: 'application/json' });

export function createApp(given: ApiDependencies): Express {
  // Every log line written while a request is handled carries its request id.
  const dependencies: ApiDependencies = {
    ...given,
    logger: requestScopedLogger(given.logger),
    readiness: given.readiness ?? createReadiness(given.temporalConnection, given.config.temporal.namespace, given.config.temporal.taskQueue),
    // Only the methods whose provider can take payments here are offered, quoted and ordered.
    pricing: offeredPricing(given.pricing, availableProviders(given.config)),
  };
  const { config } = dependencies;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // Behind a load balancer the client's address is the one it forwarded; rate limits count by it.
  app.set('trust proxy', config.http.trustProxyHops);
  const limits = routeLimits(config.http.rateLimits, dependencies.logger);
  const authenticationFailures = authenticationFailureLimit(config.http.rateLimits, dependencies.logger);

  app.use(recordHttpMetrics(apiOperations));
  app.use(assignRequestId());
  app.use(securityHeaders({ https: config.api.publicBaseUrl.startsWith('https:') }));
  app.use((request, _response, next) => {
    refuseNonTextQuery(request.query);
    next();
  });

  // The usage hot path goes straight to its routes, through the same checks in the same order as every
  // other /v1 request (body type, JSON, key), past the layers that can never match it (health, webhooks,
  // pages, /admin, the limits of other routes). Usage is never rate limited; failed keys are counted.
  const customerAuthentication = authenticationFailures.customer(requireAccount(dependencies.sql, dependencies.apiKeyCache, config.portal.sessions.secret));
  const ledger = ledgerRoutes(dependencies);
  app.post('/v1/consumptions', refuseNonJsonBody, jsonBody, customerAuthentication, ledger);
  app.get('/v1/balance', refuseNonJsonBody, jsonBody, customerAuthentication, ledger);

  app.use(healthRoutes(dependencies));
  // The API contract (GET /openapi.json) and its reference page (GET /docs): public, no body.
  app.use(apiContractRoutes(openApiDocument));
  app.use(metricsRoutes());
  // The webhook's signature is over the exact bytes, so it reads the raw body before any JSON parser.
  app.post('/webhooks/stripe', limits.webhooks);
  app.use(stripeWebhookRoutes(dependencies));
  app.post('/webhooks/airwallex', limits.webhooks);
  app.use(airwallexWebhookRoutes(dependencies));
  app.use(['/checkout/return', '/sandbox', '/payment-qr', '/invoices'], limits.pages);
  app.use(invoiceDownloadRoutes(dependencies));
  app.use(checkoutReturnRoutes(dependencies));
  app.use(paymentQrRoutes(dependencies));
  if (sandboxServes(config)) app.use(sandboxRoutes(dependencies));
  if (config.stripe.mode === 'sandbox') app.use(sandboxSetupRoutes(dependencies));
  // The billing portal's pages (GET only, no body): its cookie is read there and nowhere else.
  app.use('/portal', limits.pages);
  app.use(portalRoutes(dependencies));

  // The ops console: HTML pages and forms (its own body parser), sessions instead of bearer tokens;
  // a wrong operator token at its sign-in counts against the same failures as /admin's.
  app.use('/ops', limits.pages);
  app.use(opsConsoleRoutes(dependencies, authenticationFailures.admin));

  app.use(refuseNonJsonBody);
  app.use(jsonBody);

  app.use('/admin', authenticationFailures.admin(requireAdmin(dependencies.sql, config.api.adminOperators)));
  // Every write an operator makes is in the audit log, a refused one included (X-Operator below).
  app.use('/admin', auditAdminWrites(dependencies.sql, dependencies.logger));
  app.use('/admin', refuseOtherOperator);
  app.post('/admin/accounts', limits.accountCreations);
  app.use(adminAccountRoutes(dependencies));
  app.use(adminPromoCodeRoutes(dependencies));
  app.use(adminTopUpRoutes(dependencies));
  app.use(adminPaymentExceptionRoutes(dependencies));
  app.use(adminReconciliationReportRoutes(dependencies));
  app.use(adminAuditLogRoutes(dependencies));
  app.use(adminHoldRoutes(dependencies));
  app.use(adminRefundRoutes(dependencies));
  const autoRecharge = autoRechargeRoutes(dependencies);
  app.get('/admin/auto-recharges', autoRecharge);
  app.use(adminWebhookRoutes(dependencies));
  app.use(adminPortalSessionRoutes(dependencies));

  // Never rate limited: POST /v1/consumptions, the usage hot path of a legitimate key.
  app.use('/v1', customerAuthentication);
  app.post('/v1/topups', limits.orders);
  app.post('/v1/topup-quotes', limits.quotes);
  app.use(ledger);
  app.use(topUpRoutes(dependencies));
  app.use(invoiceRoutes(dependencies));
  app.use(refundRoutes(dependencies));
  app.use(holdRoutes(dependencies));
  app.use(spendLimitRoutes(dependencies));
  app.use(paymentMethodRoutes(dependencies));
  app.use(autoRecharge);
  app.use(balanceAlertRoutes(dependencies));

  app.use(notFoundHandler);
  app.use(errorHandler(dependencies.logger));
  return app;
}
