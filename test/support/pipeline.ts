// The whole pipeline for end-to-end tests: a fresh database, a worker on its own task queue, and the API
// over HTTP, against the real Temporal dev server and Stripe's official mock. Webhooks are real
// Stripe-format events signed with the webhook secret.
import { createSavedCardProvider } from '../../activities/payments/create-saved-cards.ts';
import { loadPricing } from '../../config/pricing.ts';
import { Connection } from '@temporalio/client';
import { NativeConnection, bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import Stripe from 'stripe';
import { createPaymentProvider } from '../../worker/payment-provider.ts';
import { createRefillWorker, workflowsPath, type RefillWorkers } from '../../worker/create-worker.ts';
import { invoiceSettings } from '../../worker/invoice-settings.ts';
import { createMailTransport } from '../../worker/mail-transport.ts';
import { ensureSearchAttributes } from '../../worker/search-attributes.ts';
import { installTemporalRuntime } from '../../worker/temporal-runtime.ts';
import { startWebhookDispatcher, webhookDispatcherSettings, type WebhookDispatcher } from '../../worker/webhooks/dispatcher.ts';
import { randomToken } from '../../ids/ids.ts';
import { createLogger } from '../../observability/logger.ts';
import { buildCheckoutEvent, type CheckoutEventType } from '../../api/webhooks/stripe-event-format.ts';
import { orderWorkflowId } from '../../domain/orders.ts';
import { startTestApi, type TestApi, type TestResponse } from './api.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { eventually } from './eventually.ts';
import { testInvoiceDependencies } from './invoices.ts';
import { testStripeApiBase, testTemporalAddress, testWorkflowBundlePath } from './environment.ts';

/** Every rate limit off: for a fuzzer, one client at one address whose every request must reach the validation it aims at. */
export const rateLimitsOff: Record<string, string> = {
  RATE_LIMIT_AUTH_FAILURES_PER_ADDRESS: '0',
  RATE_LIMIT_ACCOUNT_CREATIONS_PER_ADDRESS: '0',
  RATE_LIMIT_ORDERS_PER_KEY: '0',
  RATE_LIMIT_QUOTES_PER_KEY: '0',
  RATE_LIMIT_WEBHOOKS_PER_ADDRESS: '0',
  RATE_LIMIT_PAGES_PER_ADDRESS: '0',
};

export const testWebhookSecret = 'whsec_test_refill_webhook_secret';
const signer = new Stripe('sk_test_signer').webhooks;

const bundles = new Map<string, Promise<WorkflowBundleOption>>();
/**
 * The bundle of the workflows at `path` (by default the order workflows). The order workflows' bundle is
 * the one scripts/test.ts made current for the run (testWorkflowBundlePath): webpack costs seconds of CPU,
 * which every file would otherwise spend again. Other workflows are built once per test process.
 */
export function workflowBundle(path = workflowsPath): Promise<WorkflowBundleOption> {
  let bundle = bundles.get(path);
  if (bundle === undefined) {
    const prebuilt = path === workflowsPath ? testWorkflowBundlePath() : undefined;
    bundle =
      prebuilt === undefined
        ? bundleWorkflowCode({ workflowsPath: path, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never })
        : Promise.resolve({ codePath: prebuilt });
    bundles.set(path, bundle);
  }
  return bundle;
}

export interface TestPipeline {
  database: TestDatabase;
  api: TestApi;
  taskQueue: string;
  /** Starts (or restarts) the worker. */
  startWorker(): Promise<void>;
  /** Stops the worker as a crash would leave things: in-flight work is picked up by the next worker. */
  stopWorker(): Promise<void>;
  /** Starts (or restarts) the worker process's webhook dispatcher alone; startWorker starts it too. */
  startDispatcher(): void;
  /** Stops the webhook dispatcher alone (stopWorker stops it too). */
  stopDispatcher(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestPipeline(options: { sandbox?: boolean; environment?: Record<string, string> } = {}): Promise<TestPipeline> {
  const database = await createTestDatabase();
  const taskQueue = `refill-test-${randomToken(8)}`;
  const environment: Record<string, string> = options.sandbox
    ? {}
    : { STRIPE_SECRET_KEY: 'sk_test_refill123', STRIPE_API_BASE: testStripeApiBase(), STRIPE_WEBHOOK_SECRET: testWebhookSecret };
  const api = await startTestApi({
    sql: database.sql,
    databaseUrl: database.url,
    taskQueue,
    environment: { ...environment, ...options.environment },
  });
  const logger = createLogger('refill-worker-test', process.env.REFILL_TEST_LOG_LEVEL ?? 'silent');
  // As the worker process does at start (installing the runtime does nothing for a test file's second pipeline).
  installTemporalRuntime(logger);
  const operatorConnection = await Connection.connect({ address: testTemporalAddress() });
  await ensureSearchAttributes(operatorConnection, api.config.temporal.namespace, logger);
  await operatorConnection.close();
  const connection = await NativeConnection.connect({ address: testTemporalAddress() });
  // Mail goes to the SMTP server a test names (its own inbox), and otherwise nowhere: never to
  // whatever happens to listen on the default port of a developer's machine.
  const mailTransport =
    options.environment?.SMTP_URL === undefined ? testInvoiceDependencies().mailTransport : createMailTransport(api.config.mail);
  // The order worker and the paperwork worker, as the worker process runs them.
  let worker: RefillWorkers | null = null;
  let running: Promise<void> | null = null;
  // The worker process's webhook dispatcher, started and stopped with the worker.
  let dispatcher: WebhookDispatcher | null = null;
  function startDispatcher(): void {
    if (dispatcher !== null) return;
    dispatcher = startWebhookDispatcher({ sql: database.sql, logger, mailTransport, settings: webhookDispatcherSettings(api.config) });
  }
  async function stopDispatcher(): Promise<void> {
    await dispatcher?.stop();
    dispatcher = null;
  }

  async function startWorker(): Promise<void> {
    if (worker !== null) return;
    worker = await createRefillWorker({
      connection,
      namespace: api.config.temporal.namespace,
      taskQueue,
      paperworkTaskQueue: api.config.temporal.paperworkTaskQueue,
      sql: database.sql,
      paymentProvider: createPaymentProvider(api.config, database.sql),
      savedCards: createSavedCardProvider(api.config, database.sql),
      pricing: loadPricing(),
      logger,
      mailTransport,
      invoices: invoiceSettings(api.config),
      workflowBundle: await workflowBundle(),
    });
    running = worker.run();
    startDispatcher();
  }

  async function stopWorker(): Promise<void> {
    await stopDispatcher();
    if (worker === null) return;
    worker.shutdown();
    await running;
    worker = null;
  }

  await startWorker();
  return {
    database,
    api,
    taskQueue,
    startWorker,
    stopWorker,
    startDispatcher,
    stopDispatcher,
    close: async () => {
      await stopWorker();
      await api.close();
      await connection.close();
      await database.close();
    },
  };
}

export interface SendWebhookOptions {
  secret?: string;
  /** Unix seconds the signature claims; now by default. */
  timestamp?: number;
  /** Sent instead of the event's JSON (for tampering tests). */
  body?: string;
}

/** Posts a Stripe-format event to the webhook route, signed as Stripe signs it. */
export async function sendWebhook(api: TestApi, event: unknown, options: SendWebhookOptions = {}): Promise<TestResponse> {
  const payload = JSON.stringify(event);
  const signature = signer.generateTestHeaderString({
    payload,
    secret: options.secret ?? testWebhookSecret,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  });
  return api.request('POST', '/webhooks/stripe', { rawBody: options.body ?? payload, headers: { 'stripe-signature': signature } });
}

export interface OrderJson {
  id: string;
  status: string;
  checkout_url: string | null;
  pay_amount: string;
  currency: string;
  [field: string]: unknown;
}

/** A checkout event for an order, as Stripe would send it once the customer has paid (or not). */
export function checkoutEventFor(
  order: OrderJson,
  type: CheckoutEventType,
  options: { paymentStatus?: 'paid' | 'unpaid'; amountTotal?: number; currency?: string; eventId?: string; sessionId?: string } = {},
) {
  const [whole, fraction] = order.pay_amount.split('.');
  const amountTotal = Number(BigInt(whole!) * 100n + BigInt(fraction!.slice(0, 2)));
  return buildCheckoutEvent(
    type,
    {
      sessionId: options.sessionId ?? 'cs_test_unused',
      orderId: order.id,
      status: type === 'checkout.session.expired' ? 'expired' : 'complete',
      paymentStatus: options.paymentStatus ?? (type === 'checkout.session.async_payment_failed' ? 'unpaid' : 'paid'),
      amountTotal: options.amountTotal ?? amountTotal,
      currency: options.currency ?? order.currency.toLowerCase(),
      paymentIntentId: `pi_test_${order.id.slice(4)}`,
    },
    options.eventId === undefined ? {} : { eventId: options.eventId },
  );
}

export interface WaitForOrderOptions {
  /** A further condition the order must meet (a receipt link, an invoice number). */
  until?: (order: OrderJson) => boolean;
  timeoutMilliseconds?: number;
}

/** Polls an order through the API until its status is one of the wanted ones and `until` holds for it. */
export async function waitForOrder(
  api: TestApi,
  apiKey: string,
  orderId: string,
  statuses: string[],
  options: WaitForOrderOptions = {},
): Promise<OrderJson> {
  const until = options.until ?? (() => true);
  return eventually(
    async () => {
      const { data, error, response } = await api.client(apiKey).GET('/v1/topups/{id}', { params: { path: { id: orderId } } });
      const order = data as OrderJson | undefined;
      if (order !== undefined && statuses.includes(order.status) && until(order)) return order;
      throw new Error(`the order answered ${response.status} ${JSON.stringify(data ?? error)}`);
    },
    { description: `order ${orderId} to reach ${statuses.join('/')}`, timeoutMilliseconds: options.timeoutMilliseconds },
  );
}

/**
 * Waits until the order's workflow has finished. Every signal and update that reached it has then been
 * applied, and nothing more will happen to the order: what follows is answered from the database alone.
 */
export async function waitForOrderWorkflow(api: TestApi, orderId: string): Promise<void> {
  await api.temporalClient.workflow.getHandle(orderWorkflowId(orderId)).result();
}
