// Reconciliation: a payment whose webhook never came is found at the provider and credited, and one
// whose order's workflow has closed becomes a payment exception; both through the worker's schedule or a
// run of reconciliationWorkflow, against the sandbox provider, the real Temporal dev server and Postgres.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createSandboxProvider } from '../activities/payments/sandbox-provider.ts';
import { createStripeClient, createStripeProvider } from '../activities/payments/stripe-provider.ts';
import { completeSandboxSession } from '../db/sandbox/sandbox-sessions.ts';
import { orderWorkflowId } from '../domain/orders.ts';
import { reconciliationBatchSize, type ReconciliationSummary } from '../domain/reconciliation.ts';
import { ensureReconciliationSchedule } from '../worker/reconciliation-schedule.ts';
import { createLogger } from '../observability/logger.ts';
import { balanceOf, createTestAccount } from './support/api.ts';
import { testStripeApiBase } from './support/environment.ts';
import { eventually } from './support/eventually.ts';
import { createPendingOrder, sessionIdOf } from './support/orders.ts';
import { startTestPipeline, waitForOrder, type TestPipeline } from './support/pipeline.ts';

let pipeline: TestPipeline;
let scheduleId: string;
const logger = createLogger('reconciliation-test', 'silent');

before(async () => {
  // Pending orders are asked about at once; the schedule's own interval is long, so only the test's
  // trigger starts a run while it looks.
  pipeline = await startTestPipeline({
    sandbox: true,
    environment: { RECONCILIATION_PENDING_AGE_SECONDS: '0', RECONCILIATION_INTERVAL_SECONDS: '3600' },
  });
  scheduleId = await ensureReconciliationSchedule(scheduleOptions());
});
after(async () => {
  await pipeline.api.temporalClient.schedule.getHandle(scheduleId).delete();
  await pipeline.close();
});

function scheduleOptions() {
  return { client: pipeline.api.temporalClient, taskQueue: pipeline.taskQueue, config: pipeline.api.config.reconciliation, logger };
}

/** Pays the order's sandbox session in Postgres, as the payment page would, without sending its event. */
async function payWithoutWebhook(orderId: string): Promise<void> {
  const paid = await completeSandboxSession(pipeline.database.sql, await sessionIdOf(pipeline.database.sql, orderId), 'paid');
  assert.ok(paid, 'the session was open');
}

test('the schedule is created once, from config, and its run credits a payment whose webhook never came', async () => {
  // A second start finds the schedule and brings it to the same configuration.
  assert.equal(await ensureReconciliationSchedule(scheduleOptions()), scheduleId);
  const handle = pipeline.api.temporalClient.schedule.getHandle(scheduleId);
  const description = await handle.describe();
  assert.equal(description.spec.intervals?.[0]?.every, 3_600_000);
  assert.equal(description.action.type, 'startWorkflow');

  const account = await createTestAccount(pipeline.api, 'USD');
  const order = await createPendingOrder(pipeline.api, account.apiKey, { package_id: 'usd_100', payment_method: 'stripe' });
  await payWithoutWebhook(order.id);
  await handle.trigger();
  await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
  assert.equal(await balanceOf(pipeline.api, account.apiKey), '105.000000');

  // Ops find the order by the run's search attribute.
  const runs = await eventually(
    async () => {
      const found = [];
      for await (const run of pipeline.api.temporalClient.workflow.list({ query: `RefillReconciledOrderIds = '${order.id}'` })) found.push(run);
      return found.length > 0 ? found : undefined;
    },
    { description: 'the reconciliation run in visibility, by the order it reconciled' },
  );
  assert.equal(runs[0]!.type, 'reconciliationWorkflow');
  const event = await pipeline.database.sql<{ id: string; outcome: string }[]>`select id, outcome from stripe_events where order_id = ${order.id}`;
  assert.deepEqual(event.map((row) => row.outcome), ['delivered']);
  assert.match(event[0]!.id, /^evt_reconciliation_/);
});

test('a paid order whose workflow has closed becomes one payment exception, however often it is reconciled', async () => {
  const account = await createTestAccount(pipeline.api, 'USD');
  const order = await createPendingOrder(pipeline.api, account.apiKey, { package_id: 'usd_100', payment_method: 'stripe' });
  await payWithoutWebhook(order.id);
  // The workflow is gone while its row still says pending: the case no webhook can heal.
  await pipeline.api.temporalClient.workflow.getHandle(orderWorkflowId(order.id)).terminate('test: the workflow closed early');

  const runOnce = () =>
    pipeline.api.temporalClient.workflow.execute('reconciliationWorkflow', {
      taskQueue: pipeline.taskQueue,
      workflowId: `reconciliation-test-${order.id}-${Date.now()}`,
      args: [{ pendingAgeSeconds: 0, processingAgeSeconds: 0, limit: reconciliationBatchSize }],
    }) as Promise<ReconciliationSummary>;
  const first = await runOnce();
  assert.deepEqual(first.orders.find((entry) => entry.orderId === order.id)?.outcome, 'payment_exception');
  const exceptions = await eventually(
    async () => {
      const rows = await pipeline.database.sql<{ order_id: string }[]>`select order_id from payment_exceptions where order_id = ${order.id}`;
      return rows.length > 0 ? rows : undefined;
    },
    { description: 'the payment exception recorded' },
  );
  assert.equal(exceptions.length, 1);
  // Once ops have the exception, later runs leave the order to them.
  const second = await runOnce();
  assert.equal(second.orders.find((entry) => entry.orderId === order.id), undefined);
  assert.equal(await balanceOf(pipeline.api, account.apiKey), '0.000000');
});

test('the Stripe provider answers retrieveCheckoutPayment from the Checkout Session and its PaymentIntent (stripe-mock)', async () => {
  const provider = createStripeProvider(createStripeClient({ ...pipeline.api.config.stripe, secretKey: 'sk_test_refill123', apiBase: new URL(testStripeApiBase()) }));
  const payment = await provider.retrieveCheckoutPayment!({ orderId: 'ord_000000000000000000000000', checkoutSessionId: 'cs_test_reconciliation' });
  assert.ok(['paid', 'processing', 'unpaid', 'expired'].includes(payment.status), payment.status);
  assert.ok(payment.amountMinorUnits === null || typeof payment.amountMinorUnits === 'bigint');
  // Expanded, the PaymentIntent is still reported by its id.
  assert.ok(payment.reference === null || /^pi_/.test(payment.reference), String(payment.reference));
});

test('each provider lists the paid checkouts of a day: the sandbox from its sessions, Stripe across its pages (stripe-mock)', async () => {
  const account = await createTestAccount(pipeline.api, 'USD');
  const order = await createPendingOrder(pipeline.api, account.apiKey, { package_id: 'usd_100', payment_method: 'stripe' });
  await payWithoutWebhook(order.id);
  const today = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  const tomorrow = new Date(today.getTime() + 86_400_000);
  const yesterday = new Date(today.getTime() - 86_400_000);
  const sandbox = createSandboxProvider(pipeline.database.sql, pipeline.api.baseUrl);
  const listed = await sandbox.listSuccessfulPayments!({ from: today, to: tomorrow });
  const mine = listed.find((payment) => payment.orderId === order.id);
  assert.ok(mine, 'the paid session is listed for today');
  assert.equal(mine.amountMinorUnits, 10_000n);
  assert.equal(mine.status, 'paid');
  assert.equal((await sandbox.listSuccessfulPayments!({ from: yesterday, to: today })).find((payment) => payment.orderId === order.id), undefined);

  const stripe = createStripeProvider(createStripeClient({ ...pipeline.api.config.stripe, secretKey: 'sk_test_refill123', apiBase: new URL(testStripeApiBase()) }));
  const stripePayments = await stripe.listSuccessfulPayments!({ from: today, to: tomorrow });
  for (const payment of stripePayments) assert.equal(payment.status, 'paid');
});
