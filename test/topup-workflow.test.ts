// The order workflow's expiry, and a payment that the provider reports only when the order tries to
// expire it. Real activities, real Postgres, and a local Temporal environment from @temporalio/testing
// (the CLI's dev server, with the workflow's search attributes registered); orders get a deadline a few
// seconds away through their input, because the time-skipping test server cannot register custom
// search attributes. The sandbox provider's sessions live in Postgres, so a test can pay one without
// a webhook.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { createSandboxProvider } from '../activities/payments/sandbox-provider.ts';
import { buildCheckoutEvent } from '../api/webhooks/stripe-event-format.ts';
import { handleStripeEvent } from '../api/webhooks/handle-stripe-event.ts';
import { createAccount } from '../db/accounts/create-account.ts';
import { getBalance } from '../db/ledger/get-balance.ts';
import { getOrderRow } from '../db/orders/get-order.ts';
import { completeSandboxSession } from '../db/sandbox/sandbox-sessions.ts';
import { orderIdFor, randomToken } from '../ids/ids.ts';
import { orderStateQuery, orderWorkflowId, type TopUpOrderInput } from '../domain/orders.ts';
import { createLogger } from '../observability/logger.ts';
import { stripeCheckoutOrder } from '../workflows/stripe-checkout-order.ts';
import { getPaymentException } from '../db/payment-exceptions/get-payment-exception.ts';
import { paymentExceptionIdFor, resolvePaymentExceptionUpdate, workflowIdOfPaymentException } from '../domain/payment-exceptions.ts';
import { eventually } from './support/eventually.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { testInvoiceDependencies } from './support/invoices.ts';
import { workflowBundle } from './support/pipeline.ts';
import { temporalCliPath } from '../dev/tools.ts';
import { refillSearchAttributeKeys } from '../domain/search-attributes.ts';
import type Stripe from 'stripe';

let environment: TestWorkflowEnvironment;
let client: Client;
let database: TestDatabase;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `refill-time-${randomToken(8)}`;
const logger = createLogger('refill-time-test', process.env.REFILL_TEST_LOG_LEVEL ?? 'silent');
/** Short, so the tests wait for real expiries in seconds. */
const expiryMilliseconds = 3_000;

before(async () => {
  database = await createTestDatabase();
  environment = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath(process.env) },
      searchAttributes: [...refillSearchAttributeKeys],
    },
  });
  client = environment.client;
  worker = await Worker.create({
    connection: environment.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({
      sql: database.sql,
      paymentProvider: createSandboxProvider(database.sql, 'http://refill.test'),
      logger,
      ...testInvoiceDependencies(),
    }),
  });
  running = worker.run();
});

after(async () => {
  worker.shutdown();
  await running;
  await environment.teardown();
  await database.close();
});

async function newOrderInput(): Promise<TopUpOrderInput> {
  const account = await createAccount(database.sql, { email: 'time@example.com', currency: 'USD' });
  const key = randomToken(10);
  const now = new Date();
  return {
    orderId: orderIdFor(account.accountId, key),
    accountId: account.accountId,
    customerEmail: 'time@example.com',
    requestHash: 'hash',
    idempotencyKey: key,
    terms: {
      currency: 'USD',
      paymentMethod: 'stripe',
      packageId: null,
      amount: '20.000000',
      discount: '0.000000',
      payAmount: '20.000000',
      bonus: '0.000000',
      credit: '20.000000',
      promoCode: null,
    },
    successUrl: 'http://refill.test/success',
    cancelUrl: 'http://refill.test/cancel',
    expiresAt: new Date(now.getTime() + expiryMilliseconds).toISOString(),
    createdAt: now.toISOString(),
  };
}

async function startOrder(input: TopUpOrderInput) {
  const handle = await client.workflow.start(stripeCheckoutOrder, {
    workflowId: orderWorkflowId(input.orderId),
    taskQueue,
    args: [input],
  });
  const sessionId = await eventually(async () => (await handle.query(orderStateQuery))?.checkoutSessionId ?? undefined, {
    description: 'the checkout session',
  });
  return { handle, sessionId };
}

test('an unpaid order expires when its deadline passes, and its checkout is expired too', async () => {
  const input = await newOrderInput();
  const { handle } = await startOrder(input);
  const result = await handle.result();
  assert.deepEqual(result, { outcome: 'closed', status: 'expired' });
  const row = await getOrderRow(database.sql, input.orderId, null);
  assert.equal(row?.status, 'expired');
  const [session] = await database.sql<{ status: string }[]>`select status from sandbox_checkout_sessions where order_id = ${input.orderId}`;
  assert.equal(session?.status, 'expired');
  assert.ok(Date.now() >= Date.parse(input.expiresAt));
});

test('a payment the provider reports only at expiry wins: the order is credited', async () => {
  const input = await newOrderInput();
  const { handle, sessionId } = await startOrder(input);
  // Paid at the provider, but the webhook never arrives.
  assert.ok(await completeSandboxSession(database.sql, sessionId, 'paid'));
  const result = await handle.result();
  assert.deepEqual(result, { outcome: 'closed', status: 'succeeded' });
  const balance = await getBalance(database.sql, input.accountId);
  assert.equal(balance?.balanceMicros, 20_000_000n);
});

test('a payment event arriving after the order expired becomes a payment exception, never lost, and ops credit it once', async () => {
  const input = await newOrderInput();
  const { handle, sessionId } = await startOrder(input);
  await handle.result();
  const event = buildCheckoutEvent('checkout.session.completed', {
    sessionId,
    orderId: input.orderId,
    status: 'complete',
    paymentStatus: 'paid',
    amountTotal: 2000,
    currency: 'usd',
    paymentIntentId: 'pi_late',
  });
  const dependencies = { sql: database.sql, temporalClient: client, logger, taskQueue };
  assert.equal(await handleStripeEvent(dependencies, event as unknown as Stripe.Event), 'payment_exception');
  // A redelivery finds the same exception.
  assert.equal(await handleStripeEvent(dependencies, event as unknown as Stripe.Event), 'payment_exception');
  const exceptionId = paymentExceptionIdFor(event.id);
  const exception = await eventually(async () => (await getPaymentException(database.sql, exceptionId)) ?? undefined, {
    description: 'the payment exception row',
  });
  assert.equal(exception.status, 'open');
  assert.equal(exception.order_status, 'expired');
  assert.equal(exception.provider_payment_id, 'pi_late');
  assert.match(exception.reason, /arrived after the order was expired/);
  // The closed order is history: not edited.
  const row = await getOrderRow(database.sql, input.orderId, null);
  assert.equal(row?.status, 'expired');
  assert.equal(row?.needs_review, false);
  assert.equal((await getBalance(database.sql, input.accountId))?.balanceMicros, 0n);

  const exceptionHandle = client.workflow.getHandle(workflowIdOfPaymentException(exceptionId));
  const decision = { decision: 'credit' as const, reason: 'customer paid late', actor: 'ops-alice' };
  const resolved = await exceptionHandle.executeUpdate(resolvePaymentExceptionUpdate, { args: [decision] });
  assert.equal(resolved.status, 'resolved');
  await exceptionHandle.result();
  assert.equal((await getBalance(database.sql, input.accountId))?.balanceMicros, 20_000_000n);
  const [credits] = await database.sql<{ count: number }[]>`
    select count(*)::int as count from transfers where order_id = ${input.orderId} and flow_type = 'recharge'`;
  assert.equal(credits?.count, 1);
});
