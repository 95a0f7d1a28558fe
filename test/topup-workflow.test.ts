// The order workflow's expiry, and a payment that the provider reports only when the order tries to
// expire it. Real activities, real Postgres, and a local Temporal environment from @temporalio/testing
// (the suite's shared dev server, with the workflow's search attributes registered); orders get a deadline a few
// seconds away through their input, because the time-skipping test server cannot register custom
// search attributes. The sandbox provider's sessions live in Postgres, so a test can pay one without
// a webhook.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildCheckoutEvent } from '../api/webhooks/stripe-event-format.ts';
import { handleStripeEvent } from '../api/webhooks/handle-stripe-event.ts';
import { createAccount } from '../db/accounts/create-account.ts';
import { getOrderRow } from '../db/orders/get-order.ts';
import { completeSandboxSession } from '../db/sandbox/sandbox-sessions.ts';
import { orderStateQuery, orderWorkflowId, type TopUpOrderInput } from '../domain/orders.ts';
import { stripeCheckoutOrder } from '../workflows/stripe-checkout-order.ts';
import { getPaymentException } from '../db/payment-exceptions/get-payment-exception.ts';
import { paymentExceptionIdFor, resolvePaymentExceptionUpdate, workflowIdOfPaymentException } from '../domain/payment-exceptions.ts';
import { eventually } from './support/eventually.ts';
import { balanceMicrosOf } from './support/ledger.ts';
import { rechargeCount, stripeOrderInput } from './support/orders.ts';
import { startWorkflowEnvironment, type WorkflowEnvironment } from './support/workflow-environment.ts';
import type Stripe from 'stripe';

let harness: WorkflowEnvironment;
/** Short, so the tests wait for real expiries in seconds. */
const expiryMilliseconds = 3_000;

before(async () => {
  harness = await startWorkflowEnvironment({ server: 'local', name: 'refill-time' });
});

after(async () => {
  await harness.close();
});

async function newOrderInput(): Promise<TopUpOrderInput> {
  const account = await createAccount(harness.database.sql, { email: 'time@example.com', currency: 'USD' });
  return stripeOrderInput(account.accountId, { customerEmail: 'time@example.com', expiresInMilliseconds: expiryMilliseconds });
}

async function startOrder(input: TopUpOrderInput) {
  const handle = await harness.client.workflow.start(stripeCheckoutOrder, {
    workflowId: orderWorkflowId(input.orderId),
    taskQueue: harness.taskQueue,
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
  const row = await getOrderRow(harness.database.sql, input.orderId, null);
  assert.equal(row?.status, 'expired');
  const [session] = await harness.database.sql<{ status: string }[]>`select status from sandbox_checkout_sessions where order_id = ${input.orderId}`;
  assert.equal(session?.status, 'expired');
  assert.ok(Date.now() >= Date.parse(input.expiresAt));
});

test('a payment the provider reports only at expiry wins: the order is credited', async () => {
  const input = await newOrderInput();
  const { handle, sessionId } = await startOrder(input);
  // Paid at the provider, but the webhook never arrives.
  assert.ok(await completeSandboxSession(harness.database.sql, sessionId, 'paid'));
  const result = await handle.result();
  assert.deepEqual(result, { outcome: 'closed', status: 'succeeded' });
  assert.equal(await balanceMicrosOf(harness.database.sql, input.accountId), 20_000_000n);
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
  const dependencies = { sql: harness.database.sql, temporalClient: harness.client, logger: harness.logger, taskQueue: harness.taskQueue };
  assert.equal(await handleStripeEvent(dependencies, event as unknown as Stripe.Event), 'payment_exception');
  // A redelivery finds the same exception.
  assert.equal(await handleStripeEvent(dependencies, event as unknown as Stripe.Event), 'payment_exception');
  const exceptionId = paymentExceptionIdFor(event.id);
  const exception = await eventually(async () => (await getPaymentException(harness.database.sql, exceptionId)) ?? undefined, {
    description: 'the payment exception row',
  });
  assert.equal(exception.status, 'open');
  assert.equal(exception.order_status, 'expired');
  assert.equal(exception.provider_payment_id, 'pi_late');
  assert.match(exception.reason, /arrived after the order was expired/);
  // The closed order is history: not edited.
  const row = await getOrderRow(harness.database.sql, input.orderId, null);
  assert.equal(row?.status, 'expired');
  assert.equal(row?.needs_review, false);
  assert.equal(await balanceMicrosOf(harness.database.sql, input.accountId), 0n);

  const exceptionHandle = harness.client.workflow.getHandle(workflowIdOfPaymentException(exceptionId));
  const decision = { decision: 'credit' as const, reason: 'customer paid late', actor: 'ops-alice' };
  const resolved = await exceptionHandle.executeUpdate(resolvePaymentExceptionUpdate, { args: [decision] });
  assert.equal(resolved.status, 'resolved');
  await exceptionHandle.result();
  assert.equal(await balanceMicrosOf(harness.database.sql, input.accountId), 20_000_000n);
  assert.equal(await rechargeCount(harness.database.sql, input.orderId), 1);
});

test('a checkout the provider cannot open within the local budget is opened through the server, once', async () => {
  // The provider fails the order's first two calls as a timeout would: the local activity's two
  // attempts are spent, and the workflow runs the same activity through the server, which opens it.
  const calls = new Map<string, number>();
  const flaky = await startWorkflowEnvironment({
    server: 'local',
    name: 'refill-flaky-checkout',
    wrapProvider: (provider) => ({
      ...provider,
      name: provider.name,
      async createCheckoutSession(session) {
        const count = (calls.get(session.orderId) ?? 0) + 1;
        calls.set(session.orderId, count);
        if (count <= 2) throw new Error('the provider did not answer in time');
        return provider.createCheckoutSession(session);
      },
    }),
  });
  try {
    const account = await createAccount(flaky.database.sql, { email: 'flaky@example.com', currency: 'USD' });
    const input = stripeOrderInput(account.accountId, { customerEmail: 'flaky@example.com' });
    const handle = await flaky.client.workflow.start(stripeCheckoutOrder, { workflowId: orderWorkflowId(input.orderId), taskQueue: flaky.taskQueue, args: [input] });
    const sessionId = await eventually(async () => (await handle.query(orderStateQuery))?.checkoutSessionId ?? undefined, { description: 'the checkout session' });
    assert.equal(calls.get(input.orderId), 3);
    assert.equal((await getOrderRow(flaky.database.sql, input.orderId, null))?.checkout_session_id, sessionId);
    const [sessions] = await flaky.database.sql<{ count: number }[]>`select count(*)::int as count from sandbox_checkout_sessions where order_id = ${input.orderId}`;
    assert.equal(sessions?.count, 1);
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? []).flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    assert.deepEqual(scheduled, ['openCheckout'], 'the fallback through the server');
    await handle.terminate('the test is done');
  } finally {
    await flaky.close();
  }
});
