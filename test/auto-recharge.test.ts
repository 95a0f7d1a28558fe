// Automatic recharge end to end, with the sandbox provider's test cards, the real worker, Temporal and
// Postgres: concurrent deductions crossing the threshold start one recharge, credited once with one
// invoice; a hard decline disables; a soft decline counts a failure and backs off; authentication
// required pauses and opens a Checkout top-up for the same amount. The rails' timing is specified on the
// state machine (auto-recharge-state.test.ts). An endpoint subscribed to the auto_recharge.* events
// receives auto_recharge.succeeded for the recharge, and auto_recharge.failed and .disabled for the
// stolen card.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createActivities } from '../activities/index.ts';
import { createSavedCardProvider } from '../activities/payments/create-saved-cards.ts';
import { createStripeClient, createStripeProvider } from '../activities/payments/stripe-provider.ts';
import { loadPricing } from '../config/pricing.ts';
import { microsFromDecimal } from '../domain/money.ts';
import { createLogger } from '../observability/logger.ts';
import { createPaymentProvider } from '../worker/payment-provider.ts';
import { testInvoiceDependencies } from './support/invoices.ts';
import { createTestAccount, uniqueKey, type TestResponse } from './support/api.ts';
import { createWebhookEndpoint } from '../db/webhooks/create-webhook-endpoint.ts';
import { randomToken } from '../ids/ids.ts';
import { testStripeApiBase } from './support/environment.ts';
import { eventually } from './support/eventually.ts';
import { fundAccountDirectly } from './support/ledger.ts';
import { sendWebhook, startTestPipeline, waitForOrder, type TestPipeline } from './support/pipeline.ts';
import { openSandboxPage, pressSandboxButton } from './support/sandbox-page.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

let pipeline: TestPipeline;
let receiver: WebhookReceiver;

before(async () => {
  pipeline = await startTestPipeline({
    sandbox: true,
    environment: { WEBHOOK_ALLOWED_DESTINATIONS: 'loopback', WEBHOOK_POLL_INTERVAL_MILLISECONDS: '100' },
  });
  receiver = await startWebhookReceiver();
  // Registered as POST /admin/webhook-endpoints does (the admin routes have tests of their own).
  await createWebhookEndpoint(pipeline.database.sql, {
    id: `we_${'0'.repeat(12)}${randomToken().slice(0, 12)}`,
    url: receiver.url,
    events: ['auto_recharge.succeeded', 'auto_recharge.failed', 'auto_recharge.paused', 'auto_recharge.disabled'],
    description: 'auto-recharge events',
    secret: `whsec_${'ab'.repeat(32)}`,
  });
});
after(async () => {
  await pipeline.close();
  await receiver.close();
});

/** The auto_recharge.* events the endpoint received for the account, once each `types` has arrived. */
async function eventsReceived(customer: Customer, types: string[]) {
  return eventually(
    async () => {
      const events = receiver.received.filter((request) => request.event.account_id === customer.accountId).map((request) => request.event);
      return types.every((type) => events.some((event) => event.type === type)) ? events : undefined;
    },
    { description: `the events ${types.join(', ')}`, timeoutMilliseconds: 30_000 },
  );
}

interface Customer {
  accountId: string;
  apiKey: string;
}

function call(customer: Customer, method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<TestResponse> {
  return pipeline.api.request(method, path, { token: customer.apiKey, body, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) });
}

/** An account funded with `balance`, a saved sandbox card, and auto-recharge of 50 below 10 enabled. */
async function customerWithAutoRecharge(card: string, balance: string): Promise<Customer> {
  const customer = await createTestAccount(pipeline.api, 'USD');
  await fundAccountDirectly(pipeline.database.sql, customer.accountId, 'USD', microsFromDecimal(Number(balance).toFixed(6)));
  const setup = await call(customer, 'POST', '/v1/payment-methods/setup', {}, uniqueKey('setup'));
  const page = await openSandboxPage(setup.body.setup_url);
  const saved = await fetch(`${setup.body.setup_url}/save`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: page.cookie! },
    body: new URLSearchParams({ csrf_token: page.csrfToken!, card }).toString(),
  });
  assert.equal(saved.status, 303);
  const enabled = await call(customer, 'PUT', '/v1/auto-recharge', {
    enabled: true, threshold: '10', amount: '50', monthly_limit: '500', consent: { ip_address: '198.51.100.4', user_agent: 'test-browser' },
  });
  assert.equal(enabled.status, 200, enabled.text);
  return customer;
}

async function consume(customer: Customer, amount: string): Promise<TestResponse> {
  return call(customer, 'POST', '/v1/consumptions', { amount, description: 'usage' }, uniqueKey('use'));
}

async function attemptsOf(customer: Customer) {
  return pipeline.database.sql<{ status: string; order_id: string; decline_code: string | null }[]>`
    select status, order_id, decline_code from auto_recharge_attempts where account_id = ${customer.accountId} order by created_at`;
}

async function settled(customer: Customer, until: (body: TestResponse['body']) => boolean, description: string) {
  return eventually(
    async () => {
      const response = await call(customer, 'GET', '/v1/auto-recharge');
      return until(response.body) ? response.body : undefined;
    },
    { description, timeoutMilliseconds: 30_000 },
  );
}

test('100 concurrent deductions crossing the threshold start exactly one recharge: one charge, one credit, one invoice', async () => {
  const customer = await customerWithAutoRecharge('succeeds', '20');
  const deductions = await Promise.all(Array.from({ length: 100 }, () => consume(customer, '0.15')));
  assert.deepEqual([...new Set(deductions.map((response) => response.status))], [201]);
  const view = await settled(customer, (body) => body.last_attempt?.outcome === 'succeeded', 'the recharge to succeed');
  assert.equal(view.state, 'active');
  assert.equal(view.spent_this_month, '50.000000');
  const balance = await call(customer, 'GET', '/v1/balance');
  assert.equal(balance.body.balance, '55.000000', '20 − 15 + 50, credited once');
  const attempts = await attemptsOf(customer);
  assert.deepEqual(attempts.map((attempt) => attempt.status), ['succeeded']);
  const order = await call(customer, 'GET', `/v1/topups/${attempts[0]!.order_id}`);
  assert.equal(order.body.payment_method, 'auto_recharge');
  assert.equal(order.body.status, 'succeeded');
  const invoices = await eventually(
    async () => {
      const rows = await pipeline.database.sql<{ number: string }[]>`select number from invoices where order_id = ${attempts[0]!.order_id}`;
      return rows.length > 0 ? rows : undefined;
    },
    { description: 'the recharge invoice' },
  );
  assert.equal(invoices.length, 1);
  const events = await eventsReceived(customer, ['auto_recharge.succeeded']);
  assert.deepEqual(events.map((event) => event.type), ['auto_recharge.succeeded'], 'one event: the success, nothing else');
  assert.equal(events[0]!.data.order_id, attempts[0]!.order_id);
  assert.equal(events[0]!.data.amount, '50.000000');
  assert.equal(events[0]!.data.status, 'succeeded');
  assert.equal(events[0]!.data.provider_customer_id, undefined, 'the provider customer stays inside');

  // The intent's events, late, twice, and a failure after the success: nothing is credited again.
  const [charged] = await pipeline.database.sql<{ provider_payment_id: string; id: string }[]>`
    select provider_payment_id, id from auto_recharge_attempts where account_id = ${customer.accountId}`;
  const intentEvent = (type: string, id: string) => ({
    id, type, created: Math.floor(Date.now() / 1000),
    data: { object: { id: charged!.provider_payment_id, object: 'payment_intent', metadata: { account_id: customer.accountId, auto_recharge_attempt_id: charged!.id }, last_payment_error: type.endsWith('failed') ? { decline_code: 'insufficient_funds' } : null } },
  });
  for (const event of [intentEvent('payment_intent.succeeded', 'evt_intent_ok_1'), intentEvent('payment_intent.succeeded', 'evt_intent_ok_1'), intentEvent('payment_intent.payment_failed', 'evt_intent_late_1')]) {
    const delivered = await sendWebhook(pipeline.api, { ...event, id: `${event.id}_${customer.accountId.slice(-8)}` }, { secret: pipeline.api.config.stripe.webhookSecret });
    assert.equal(delivered.status, 200, delivered.text);
  }
  assert.equal((await call(customer, 'GET', '/v1/balance')).body.balance, '55.000000');
  assert.equal((await call(customer, 'GET', '/v1/auto-recharge')).body.last_attempt.outcome, 'succeeded');

  // A worker killed mid-charge retries the same activities: the charge names the same intent (its
  // idempotency key is the attempt's), and the credit returns the first one.
  const activities = createActivities({
    sql: pipeline.database.sql,
    paymentProvider: createPaymentProvider(pipeline.api.config, pipeline.database.sql),
    savedCards: createSavedCardProvider(pipeline.api.config, pipeline.database.sql),
    pricing: loadPricing(),
    logger: createLogger('auto-recharge-test', 'silent'),
    ...testInvoiceDependencies(),
  });
  const again = await activities.chargeAutoRecharge({ attemptId: charged!.id });
  assert.deepEqual(again, { outcome: 'succeeded', paymentIntentId: charged!.provider_payment_id });
  await activities.creditAutoRecharge({ attemptId: charged!.id, paymentIntentId: charged!.provider_payment_id });
  assert.equal((await call(customer, 'GET', '/v1/balance')).body.balance, '55.000000', 'credited once');
  const [recharges] = await pipeline.database.sql<{ count: bigint }[]>`
    select count(*)::bigint as count from transfers where account_id = ${customer.accountId} and flow_type = 'recharge'`;
  assert.equal(recharges!.count, 2n, 'the direct funding and the one recharge');
  // A second crossing within the cooldown starts nothing more.
  await consume(customer, '46');
  await eventually(async () => ((await call(customer, 'GET', '/v1/auto-recharge')).body.last_attempt?.outcome === 'succeeded' ? true : undefined), { description: 'the view' });
  assert.equal((await attemptsOf(customer)).length, 1);
});

test('a hard decline (stolen_card) disables auto-recharge at once, with the reason, and charges nothing', async () => {
  const customer = await customerWithAutoRecharge('stolen_card', '12');
  await consume(customer, '5');
  const view = await settled(customer, (body) => body.state === 'disabled', 'auto-recharge to be disabled');
  assert.match(view.paused_reason, /stolen_card/);
  assert.equal(view.last_attempt.decline_code, 'stolen_card');
  assert.equal(view.spent_this_month, '0.000000');
  assert.equal((await call(customer, 'GET', '/v1/balance')).body.balance, '7.000000');
  const attempts = await attemptsOf(customer);
  assert.deepEqual(attempts.map((attempt) => [attempt.status, attempt.decline_code]), [['declined', 'stolen_card']]);
  const events = await eventsReceived(customer, ['auto_recharge.failed', 'auto_recharge.disabled']);
  assert.deepEqual(events.map((event) => event.type).sort(), ['auto_recharge.disabled', 'auto_recharge.failed']);
  const failed = events.find((event) => event.type === 'auto_recharge.failed')!;
  assert.equal(failed.data.decline_code, 'stolen_card');
  assert.equal(failed.data.status, 'declined');
  const disabled = events.find((event) => event.type === 'auto_recharge.disabled')!;
  assert.equal(disabled.data.state, 'disabled');
  assert.equal(disabled.data.decline_code, 'stolen_card');
  assert.match(String(disabled.data.reason), /stolen_card/);
  // It stays disabled: another crossing starts nothing.
  await consume(customer, '1');
  assert.equal((await attemptsOf(customer)).length, 1);
});

test('a soft decline (insufficient_funds) counts one failure and waits to try again; the state stays active', async () => {
  const customer = await customerWithAutoRecharge('insufficient_funds', '12');
  await consume(customer, '5');
  const view = await settled(customer, (body) => body.consecutive_failures === 1, 'the first soft failure');
  assert.equal(view.state, 'active');
  assert.equal(view.last_attempt.outcome, 'declined');
  assert.equal(view.last_attempt.decline_code, 'insufficient_funds');
  // The workflow waits for its backoff (1 h): another crossing, or the settings it already read, charge nothing more.
  await consume(customer, '1');
  const waiting = await eventually(
    async () => {
      const description = await pipeline.api.temporalClient.workflow.getHandle(`auto-recharge-${customer.accountId}`).query<{ phase: string }>('autoRechargeState');
      return description.phase === 'waiting' ? description : undefined;
    },
    { description: 'the workflow to wait for its backoff' },
  );
  assert.equal(waiting.phase, 'waiting');
  assert.equal((await attemptsOf(customer)).length, 1);
});

test('authentication required pauses auto-recharge and opens a normal Checkout top-up for the same amount', async () => {
  const customer = await customerWithAutoRecharge('authentication_required', '12');
  await consume(customer, '5');
  const view = await settled(customer, (body) => body.state === 'paused', 'auto-recharge to pause');
  assert.match(view.paused_reason, /authenticate/);
  const topUp = await eventually(
    async () => {
      const orders = (await call(customer, 'GET', '/v1/topups')).body.data as { payment_method: string; amount: string; checkout_url: string | null }[];
      return orders.find((order) => order.payment_method === 'stripe' && order.checkout_url !== null);
    },
    { description: 'the Checkout top-up' },
  );
  assert.equal(topUp.amount, '50.000000');
  assert.match(String(topUp.checkout_url), /\/sandbox\/checkout\/cs_sandbox_/);
});

test('a top-up with save_payment_method, paid on the sandbox, saves its card once for auto-recharge; without it none is saved', async () => {
  const customer = await createTestAccount(pipeline.api, 'USD');
  const refused = await call(customer, 'POST', '/v1/topups', { amount: '20', payment_method: 'airwallex', save_payment_method: true }, uniqueKey('topup'));
  assert.equal(refused.status, 400, refused.text);
  assert.equal(refused.body.error.code, 'invalid_request');
  assert.equal(refused.body.error.field, 'save_payment_method');

  // Without the field (or with false, the same request): the order is paid and no card is kept.
  const plainKey = uniqueKey('topup');
  const plain = await call(customer, 'POST', '/v1/topups', { amount: '20', payment_method: 'stripe' }, plainKey);
  assert.equal(plain.status, 201, plain.text);
  const same = await call(customer, 'POST', '/v1/topups', { amount: '20', payment_method: 'stripe', save_payment_method: false }, plainKey);
  assert.equal(same.status, 201, same.text);
  assert.equal(same.headers.get('idempotent-replayed'), 'true');
  assert.equal(same.body.id, plain.body.id);
  const changed = await call(customer, 'POST', '/v1/topups', { amount: '20', payment_method: 'stripe', save_payment_method: true }, plainKey);
  assert.equal(changed.status, 409, changed.text);
  assert.equal(changed.body.error.code, 'idempotency_key_reused');
  assert.equal((await pressSandboxButton(String(plain.body.checkout_url), 'pay')).status, 303);
  await waitForOrder(pipeline.api, customer.apiKey, plain.body.id, ['succeeded']);

  const saving = await call(customer, 'POST', '/v1/topups', { amount: '20', payment_method: 'stripe', save_payment_method: true }, uniqueKey('topup'));
  assert.equal(saving.status, 201, saving.text);
  assert.equal((await pressSandboxButton(String(saving.body.checkout_url), 'pay')).status, 303);
  await waitForOrder(pipeline.api, customer.apiKey, saving.body.id, ['succeeded']);
  const cards = await eventually(
    async () => {
      const listed = (await call(customer, 'GET', '/v1/payment-methods')).body.data as { id: string; last4: string; brand: string; exp_month: number; exp_year: number; is_default: boolean }[];
      return listed.length > 0 ? listed : undefined;
    },
    { description: 'the card of the top-up', timeoutMilliseconds: 30_000 },
  );
  assert.equal(cards.length, 1, 'one card: the top-up that asked, not the one that did not');
  assert.equal(cards[0]!.last4, '4242');
  assert.equal(cards[0]!.is_default, true);
  assert.equal(typeof cards[0]!.exp_year, 'number');
  const [customerRow] = await pipeline.database.sql<{ count: bigint }[]>`select count(*)::bigint as count from payment_customers where account_id = ${customer.accountId}`;
  assert.equal(customerRow!.count, 1n);
  // Only the customer's own account has it.
  const stranger = await createTestAccount(pipeline.api, 'USD');
  assert.equal((await call(stranger, 'GET', '/v1/payment-methods')).body.data.length, 0);

  // A redelivered payment event stores nothing new.
  const [session] = await pipeline.database.sql<{ checkout_session_id: string }[]>`select checkout_session_id from orders where id = ${saving.body.id}`;
  const redelivered = await sendWebhook(pipeline.api, {
    id: `evt_redelivered_${customer.accountId.slice(-12)}`, type: 'checkout.session.completed', created: Math.floor(Date.now() / 1000),
    data: { object: { id: session!.checkout_session_id, object: 'checkout.session', mode: 'payment', client_reference_id: saving.body.id, payment_status: 'paid', amount_total: 2000, currency: 'usd', payment_intent: `pi_sandbox_${session!.checkout_session_id.slice('cs_sandbox_'.length)}`, metadata: { order_id: saving.body.id, account_id: customer.accountId } } },
  }, { secret: pipeline.api.config.stripe.webhookSecret });
  assert.equal(redelivered.status, 200, redelivered.text);
  assert.equal((await call(customer, 'GET', '/v1/payment-methods')).body.data.length, 1);

  // The saved card is the one auto-recharge charges (the default, with no card named).
  const enabled = await call(customer, 'PUT', '/v1/auto-recharge', {
    enabled: true, threshold: '10', amount: '50', monthly_limit: '500', consent: { ip_address: '198.51.100.4', user_agent: 'test-browser' },
  });
  assert.equal(enabled.status, 200, enabled.text);
  await consume(customer, '35');
  const view = await settled(customer, (body) => body.last_attempt?.outcome === 'succeeded', 'the recharge with the saved card');
  assert.equal(view.state, 'active');
  const [attempt] = await pipeline.database.sql<{ payment_method_id: string }[]>`select payment_method_id from auto_recharge_attempts where account_id = ${customer.accountId}`;
  assert.equal(attempt!.payment_method_id, cards[0]!.id);
  assert.equal((await call(customer, 'GET', '/v1/balance')).body.balance, '55.000000', '20 + 20 − 35 + 50');
});

test("Stripe takes a saving top-up's Checkout Session (customer and setup_future_usage off_session) as valid (stripe-mock)", async () => {
  const provider = createStripeProvider(createStripeClient({ ...pipeline.api.config.stripe, secretKey: 'sk_test_refill123', apiBase: new URL(testStripeApiBase()) }));
  const session = await provider.createCheckoutSession({
    orderId: 'ord_000000000000000000000000', accountId: 'acct_000000000000000000000000', customerEmail: 'saver@example.com', currency: 'USD',
    payAmountMinorUnits: 2000n, productName: 'Credit top-up: 20.00 USD', successUrl: 'http://localhost/success', cancelUrl: 'http://localhost/cancel',
    expiresAt: new Date(Date.now() + 3_600_000), paymentMethod: 'stripe', checkout: { provider: 'stripe', flow: 'redirect', paymentMethodTypes: [] },
    saveCard: { providerCustomerId: 'cus_saver' },
  });
  assert.match(session.sessionId, /^cs_/);
});
