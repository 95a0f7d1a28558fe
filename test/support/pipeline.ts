// The whole pipeline for end-to-end tests: a fresh database, a worker on its own task queue, and the API
// over HTTP, against the real Temporal dev server and Stripe's official mock. Webhooks are real
// Stripe-format events signed with the webhook secret.
import { Connection } from '@temporalio/client';
import { NativeConnection, bundleWorkflowCode, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import Stripe from 'stripe';
import { createPaymentProvider } from '../../worker/payment-provider.ts';
import { createRefillWorker, workflowsPath } from '../../worker/create-worker.ts';
import { invoiceSettings } from '../../worker/invoice-settings.ts';
import { createMailTransport } from '../../worker/mail-transport.ts';
import { ensureSearchAttributes } from '../../worker/search-attributes.ts';
import { installTemporalRuntime } from '../../worker/temporal-runtime.ts';
import { randomToken } from '../../ids/ids.ts';
import { createLogger } from '../../observability/logger.ts';
import { buildCheckoutEvent, type CheckoutEventType } from '../../api/webhooks/stripe-event-format.ts';
import { createTestAccount, startTestApi, type TestApi, type TestResponse } from './api.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { testInvoiceDependencies } from './invoices.ts';
import { testStripeApiBase, testTemporalAddress } from './environment.ts';

export const testWebhookSecret = 'whsec_test_refill_webhook_secret';
const signer = new Stripe('sk_test_signer').webhooks;

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle, built once per test process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never });
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
  let worker: Worker | null = null;
  let running: Promise<void> | null = null;

  async function startWorker(): Promise<void> {
    if (worker !== null) return;
    worker = await createRefillWorker({
      connection,
      namespace: api.config.temporal.namespace,
      taskQueue,
      sql: database.sql,
      paymentProvider: createPaymentProvider(api.config, database.sql),
      logger,
      mailTransport,
      invoices: invoiceSettings(api.config),
      workflowBundle: await workflowBundle(),
    });
    running = worker.run();
  }

  async function stopWorker(): Promise<void> {
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

/** Polls an order until its status is one of the wanted ones (and, when given, `until` holds for it). */
export async function waitForOrder(
  api: TestApi,
  apiKey: string,
  orderId: string,
  statuses: string[],
  timeoutMilliseconds = 20_000,
  until: (order: OrderJson) => boolean = () => true,
): Promise<OrderJson> {
  const deadline = Date.now() + timeoutMilliseconds;
  let last: TestResponse | null = null;
  while (Date.now() < deadline) {
    last = await api.request('GET', `/v1/topups/${orderId}`, { token: apiKey });
    if (last.status === 200 && statuses.includes(last.body.status) && until(last.body as OrderJson)) return last.body as OrderJson;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`order ${orderId} did not reach ${statuses.join('/')}: last ${last?.status} ${last?.text}`);
}

export { createTestAccount };
