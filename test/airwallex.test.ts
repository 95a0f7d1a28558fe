// Airwallex as a second provider, and scan to pay: the adapter's requests against a fake that follows
// Airwallex's documented shapes, and an order's life through the API, the worker and the webhook route
// (create, hosted page, paid by webhook, credited once, duplicates, cancel racing payment, expiry,
// amount mismatch, forged and stale signatures), then a WeChat Pay order paid by its QR code. One pipeline and
// one fake for the file.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAirwallexClient } from '../activities/payments/airwallex-client.ts';
import { createAirwallexProvider, paymentIntentRequestId } from '../activities/payments/airwallex-provider.ts';
import { loadConfig } from '../config/config.ts';
import { loadPricing } from '../config/pricing.ts';
import { offeredPricing, parsePricing } from '../domain/pricing.ts';
import { availableProviders } from '../api/topups/available-providers.ts';
import { balanceOf, createTestAccount, testAdminToken, type TestApi } from './support/api.ts';
import { startAirwallexFake, type AirwallexFake, type FakeIntent } from './support/airwallex-fake.ts';
import { eventually } from './support/eventually.ts';
import { createPendingOrder, createTopUp, rechargeCount, stripeOrderInput } from './support/orders.ts';
import { orderWorkflowId } from '../domain/orders.ts';
import { stripeCheckoutOrder } from '../workflows/stripe-checkout-order.ts';
import { startTestPipeline, waitForOrder, type OrderJson, type TestPipeline } from './support/pipeline.ts';
import type { CreateCheckoutSessionInput } from '../activities/payments/provider.ts';

let fake: AirwallexFake;
let pipeline: TestPipeline;

before(async () => {
  fake = await startAirwallexFake();
  pipeline = await startTestPipeline({
    environment: {
      AIRWALLEX_CLIENT_ID: fake.clientId,
      AIRWALLEX_API_KEY: fake.apiKey,
      AIRWALLEX_WEBHOOK_SECRET: fake.webhookSecret,
      AIRWALLEX_API_BASE: fake.url,
    },
  });
});

after(async () => {
  await pipeline.close();
  await fake.close();
});

function sendEvent(api: TestApi, event: { body: string; headers: Record<string, string> }) {
  return api.request('POST', '/webhooks/airwallex', { rawBody: event.body, headers: event.headers });
}

/** The intent the fake holds for an order. */
function intentOf(orderId: string): FakeIntent {
  const intent = [...fake.intents.values()].find((item) => item.merchant_order_id === orderId);
  assert.ok(intent, `the fake has an intent for ${orderId}`);
  return intent;
}

function requestsTo(path: string) {
  return fake.requests.filter((request) => request.path.startsWith(path));
}

async function airwallexOrder(apiKey: string, amount = '20.00'): Promise<OrderJson> {
  return createPendingOrder(pipeline.api, apiKey, { amount, payment_method: 'airwallex' });
}

describe('payment methods as configuration', () => {
  test('topup-options lists the currency\'s methods in the file\'s order, with provider, flow, names and icons', async () => {
    const cny = await createTestAccount(pipeline.api, 'CNY');
    const options = await pipeline.api.request('GET', '/v1/topup-options', { token: cny.apiKey });
    assert.equal(options.status, 200);
    const methods = options.body.payment_methods as { id: string; provider: string; flow: string; display_name: Record<string, string>; icon: string; min: string; payment_method_types: string[] }[];
    assert.deepEqual(methods.map((method) => method.id), ['alipay', 'wechat_pay', 'stripe', 'airwallex', 'bank_transfer']);
    const wechat = methods.find((method) => method.id === 'wechat_pay')!;
    assert.deepEqual([wechat.provider, wechat.flow, wechat.display_name['zh-CN'], wechat.icon, wechat.min], ['airwallex', 'qr_code', '微信支付', 'wechat_pay', '10.000000']);
    // None configured: Stripe's dashboard decides, as before the field existed.
    assert.deepEqual(methods.find((method) => method.id === 'stripe')!.payment_method_types, []);
  });

  test('the file is checked: Stripe\'s payment_method_types only on a Stripe method, each method on a provider it can run on', () => {
    const document = (usd: Record<string, unknown>) => ({ USD: { packages: [], bonus_tiers: [], payment_methods: usd }, CNY: { packages: [], bonus_tiers: [], payment_methods: {} } });
    const parsed = parsePricing(document({ stripe: { min: '1.00', max: '2.00', payment_method_types: ['card', 'wechat_pay'] } }));
    assert.deepEqual(parsed.USD.paymentMethods.stripe!.paymentMethodTypes, ['card', 'wechat_pay']);
    assert.deepEqual(parsed.USD.paymentMethods.stripe!.displayName, { en: 'Card', zhCN: '银行卡' });
    assert.throws(() => parsePricing(document({ airwallex: { min: '1.00', max: '2.00', payment_method_types: ['card'] } })), /payment_method_types are Stripe Checkout's/);
    assert.throws(() => parsePricing(document({ alipay: { min: '1.00', max: '2.00', provider: 'stripe' } })), /alipay: provider must be airwallex, not stripe/);
  });

  test('in production a provider without credentials is not offered; the sandbox stands in for it elsewhere', () => {
    const base = { DATABASE_URL: 'postgres://localhost/refill', ADMIN_TOKEN: testAdminToken };
    const pricing = loadPricing();
    const development = offeredPricing(pricing, availableProviders(loadConfig(base)));
    assert.ok(development.USD.paymentMethods.airwallex !== undefined, 'the sandbox stands in for Airwallex in development');
    const stripeOnly = availableProviders({ ...loadConfig({ ...base, STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' }), environment: 'production' });
    const production = offeredPricing(pricing, stripeOnly);
    assert.deepEqual(Object.keys(production.CNY.paymentMethods), ['stripe', 'bank_transfer']);
    assert.throws(() => loadConfig({ ...base, AIRWALLEX_CLIENT_ID: 'id_only' }), /AIRWALLEX_API_KEY must be set with AIRWALLEX_CLIENT_ID/);
  });
});

describe('the Airwallex adapter against the fake', () => {
  const input = (orderId: string): CreateCheckoutSessionInput => ({
    orderId,
    accountId: 'acct_adapter',
    customerEmail: 'customer@example.com',
    currency: 'USD',
    payAmountMinorUnits: 10550n,
    productName: 'Credit top-up: 105.50 USD',
    successUrl: 'http://localhost/success',
    cancelUrl: 'http://localhost/cancel',
    expiresAt: new Date(Date.now() + 3_600_000),
    paymentMethod: 'airwallex',
    checkout: { provider: 'airwallex', flow: 'redirect', paymentMethodTypes: [] },
  });

  test('logs in once, creates one intent per order however often it is asked, cancels or reports the payment, and refunds', async () => {
    const provider = createAirwallexProvider(createAirwallexClient(pipeline.api.config.airwallex), pipeline.api.config.airwallex.apiBase);
    const loginsBefore = requestsTo('/api/v1/authentication/login').length;
    const first = await provider.createCheckoutSession(input('ord_adapter000000000000000001'));
    const again = await provider.createCheckoutSession(input('ord_adapter000000000000000001'));
    assert.equal(again.sessionId, first.sessionId, 'a retry finds the intent its request_id made');
    assert.match(first.url, new RegExp(`^${fake.url}/#/standalone/checkout\\?intent_id=${first.sessionId}&client_secret=secret_`));
    const creates = requestsTo('/api/v1/pa/payment_intents/create').filter((request) => request.body?.merchant_order_id === 'ord_adapter000000000000000001');
    assert.equal(creates.length, 2);
    assert.deepEqual(
      { ...creates[0]!.body, metadata: undefined, descriptor: undefined, return_url: undefined },
      { request_id: paymentIntentRequestId('ord_adapter000000000000000001'), amount: 105.5, currency: 'USD', merchant_order_id: 'ord_adapter000000000000000001', metadata: undefined, descriptor: undefined, return_url: undefined },
    );
    assert.match(String(creates[0]!.headers.authorization), /^Bearer token_/);
    assert.equal(requestsTo('/api/v1/authentication/login').length - loginsBefore, 1, 'the token is cached');
    assert.equal(fake.requests.find((request) => request.path === '/api/v1/authentication/login')!.headers['x-client-id'], fake.clientId);

    assert.deepEqual(await provider.expireCheckoutSession(first.sessionId), { outcome: 'expired' });
    assert.equal(fake.intents.get(first.sessionId)!.status, 'CANCELLED');

    // A payment that got there first wins: the cancel is refused, and the retrieved intent is reported.
    const paid = await provider.createCheckoutSession(input('ord_adapter000000000000000002'));
    fake.succeed(paid.sessionId);
    assert.deepEqual(await provider.expireCheckoutSession(paid.sessionId), {
      outcome: 'completed',
      checkout: { paymentStatus: 'paid', amountTotalMinorUnits: '10550', currency: 'usd', providerPaymentId: paid.sessionId },
    });
    const payment = await provider.retrievePayment(paid.sessionId);
    assert.deepEqual(payment, { paymentId: paid.sessionId, status: 'SUCCEEDED', succeeded: true, amountMinorUnits: 10550n, currency: 'usd', orderId: 'ord_adapter000000000000000002' });

    // A refund goes back through Airwallex, once per idempotency key; a part names its amount in major units.
    const refund = await provider.refundPayment({ providerPaymentId: paid.sessionId, idempotencyKey: 'refund-adapter-1', metadata: { order_id: 'ord_adapter000000000000000002' }, amountMinorUnits: 525n });
    assert.equal(refund.status, 'pending');
    const sent = requestsTo('/api/v1/pa/refunds/create').at(-1)!.body!;
    assert.deepEqual([sent.request_id, sent.payment_intent_id, sent.amount], ['refund-adapter-1', paid.sessionId, 5.25]);
    assert.equal((await provider.retrieveRefund(refund.refundId)).status, 'succeeded');

    // A token that stopped working is renewed once, and the call goes through.
    fake.revokeTokens();
    assert.equal((await provider.retrievePayment(paid.sessionId)).status, 'SUCCEEDED');
    assert.equal(requestsTo('/api/v1/authentication/login').length - loginsBefore, 2);
  });
});

describe('an Airwallex order', () => {
  test('opens its intent with the order id, is paid by a signed webhook, and is credited exactly once', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await airwallexOrder(account.apiKey);
    const intent = intentOf(order.id);
    assert.equal(order.payment_method, 'airwallex');
    assert.ok(order.checkout_url?.startsWith(`${fake.url}/#/standalone/checkout?intent_id=${intent.id}`), order.checkout_url ?? 'no checkout_url');
    assert.equal(order.next_action, null);
    assert.deepEqual([intent.request_id, intent.amount, intent.currency], [paymentIntentRequestId(order.id), 20, 'USD']);

    fake.succeed(intent.id);
    const event = fake.signedEvent('payment_intent.succeeded', intent);
    const delivered = await sendEvent(pipeline.api, event);
    assert.equal(delivered.status, 200, delivered.text);
    assert.equal(delivered.body.outcome, 'delivered');
    const paid = await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
    assert.equal(paid.receipt_url, null, 'Airwallex has no receipt page');

    // The same event again, and the same payment under another event id: answered, never credited twice.
    assert.equal((await sendEvent(pipeline.api, event)).status, 200);
    assert.equal((await sendEvent(pipeline.api, fake.signedEvent('payment_intent.succeeded', intent))).status, 200);
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded'], { until: (current) => current.invoice_number !== null });
    assert.equal(await rechargeCount(pipeline.database.sql, order.id), 1);
    assert.equal(await balanceOf(pipeline.api, account.apiKey), '20.000000');
    const [recorded] = await pipeline.database.sql<{ provider: string; count: number }[]>`
      select provider, count(*)::int as count from stripe_events where order_id = ${order.id} group by provider`;
    assert.deepEqual({ ...recorded }, { provider: 'airwallex', count: 2 });

    // A refund made in Airwallex's dashboard goes into the refund machinery as Stripe's do: its share of the credit is taken back.
    const dashboardRefund = { id: 'rfd_dashboard_1', payment_intent_id: intent.id, amount: 5, currency: 'USD', status: 'SETTLED', metadata: {} };
    const refunded = await sendEvent(pipeline.api, fake.signedEvent('refund.settled', dashboardRefund));
    assert.deepEqual([refunded.status, refunded.body.outcome], [200, 'refund_recorded']);
    await eventually(async () => ((await balanceOf(pipeline.api, account.apiKey)) === '15.000000' ? true : undefined), { description: 'the refund\'s credit taken back' });
  });

  test('a forged, stale or future signature is refused and records nothing', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await airwallexOrder(account.apiKey);
    const intent = intentOf(order.id);
    const cases = [
      { event: fake.signedEvent('payment_intent.succeeded', intent, { id: 'evt_forged', secret: 'another-secret' }), code: 'invalid_signature' },
      { event: fake.signedEvent('payment_intent.succeeded', intent, { id: 'evt_stale', timestampMilliseconds: Date.now() - 600_000 }), code: 'signature_expired' },
      { event: fake.signedEvent('payment_intent.succeeded', intent, { id: 'evt_future', timestampMilliseconds: Date.now() + 600_000 }), code: 'signature_expired' },
    ];
    for (const { event, code } of cases) {
      const response = await sendEvent(pipeline.api, event);
      assert.deepEqual([response.status, response.body.error.code], [400, code]);
    }
    const unsigned = await pipeline.api.request('POST', '/webhooks/airwallex', { rawBody: cases[0]!.event.body, headers: { 'content-type': 'application/json' } });
    assert.deepEqual([unsigned.status, unsigned.body.error.code], [400, 'invalid_signature']);
    const [row] = await pipeline.database.sql<{ count: number }[]>`select count(*)::int as count from stripe_events where order_id = ${order.id}`;
    assert.equal(row!.count, 0);
    assert.equal((await pipeline.api.request('GET', `/v1/topups/${order.id}`, { token: account.apiKey })).body.status, 'pending');
  });

  test('a cancel cancels the intent, and a payment that got there first wins over it', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const cancelled = await airwallexOrder(account.apiKey);
    const cancelResponse = await pipeline.api.request('POST', `/v1/topups/${cancelled.id}/cancel`, { token: account.apiKey });
    assert.equal(cancelResponse.body.status, 'cancelled', cancelResponse.text);
    assert.equal(intentOf(cancelled.id).status, 'CANCELLED');

    const raced = await airwallexOrder(account.apiKey);
    fake.succeed(intentOf(raced.id).id);
    await pipeline.api.request('POST', `/v1/topups/${raced.id}/cancel`, { token: account.apiKey });
    await waitForOrder(pipeline.api, account.apiKey, raced.id, ['succeeded']);
    assert.equal(await rechargeCount(pipeline.database.sql, raced.id), 1);
    // Its webhook, arriving after, finds the payment credited.
    const late = await sendEvent(pipeline.api, fake.signedEvent('payment_intent.succeeded', intentOf(raced.id)));
    assert.equal(late.status, 200);
    assert.equal(await rechargeCount(pipeline.database.sql, raced.id), 1);
  });

  test('a payment of another amount than the locked quote holds the order for review and credits nothing', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await airwallexOrder(account.apiKey);
    const intent = fake.succeed(intentOf(order.id).id);
    const response = await sendEvent(pipeline.api, fake.signedEvent('payment_intent.succeeded', intent, { amount: 19.99 }));
    assert.equal(response.status, 200, response.text);
    const held = await waitForOrder(pipeline.api, account.apiKey, order.id, ['processing'], { until: (current) => current.needs_review === true });
    assert.equal(held.credited_at, null);
    assert.equal(await rechargeCount(pipeline.database.sql, order.id), 0);
  });
});

describe('an Airwallex order at its deadline', () => {
  test('expires and cancels its intent; an intent paid before the deadline is credited instead', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const start = async () => {
      const input = {
        ...stripeOrderInput(account.accountId, { expiresInMilliseconds: 3_000 }),
        paperworkTaskQueue: pipeline.api.config.temporal.paperworkTaskQueue,
        checkout: { provider: 'airwallex' as const, flow: 'redirect' as const, paymentMethodTypes: [] },
      };
      input.terms = { ...input.terms, paymentMethod: 'airwallex' };
      const handle = await pipeline.api.temporalClient.workflow.start(stripeCheckoutOrder, { workflowId: orderWorkflowId(input.orderId), taskQueue: pipeline.taskQueue, args: [input] });
      await eventually(() => [...fake.intents.values()].find((intent) => intent.merchant_order_id === input.orderId), { description: 'the order\'s intent' });
      return { input, handle };
    };
    const [unpaid, paid] = await Promise.all([start(), start()]);
    // Paid at Airwallex, but the webhook never arrives: the cancel at the deadline finds the payment.
    fake.succeed(intentOf(paid.input.orderId).id);
    assert.deepEqual(await unpaid.handle.result(), { outcome: 'closed', status: 'expired' });
    assert.equal(intentOf(unpaid.input.orderId).status, 'CANCELLED');
    assert.deepEqual(await paid.handle.result(), { outcome: 'closed', status: 'succeeded' });
    assert.equal(await rechargeCount(pipeline.database.sql, paid.input.orderId), 1);
  });
});

describe('scan to pay', () => {
  test('a WeChat Pay order carries its QR code and a PNG of it, and completes by webhook', async () => {
    const account = await createTestAccount(pipeline.api, 'CNY');
    const order = await createPendingOrder(pipeline.api, account.apiKey, { amount: '50.00', payment_method: 'wechat_pay' });
    const intent = intentOf(order.id);
    const confirm = requestsTo(`/api/v1/pa/payment_intents/${intent.id}/confirm`);
    assert.deepEqual(confirm[0]?.body?.payment_method, { type: 'wechatpay', wechatpay: { flow: 'qrcode' } });
    assert.deepEqual(order.next_action, {
      type: 'qr_code',
      data: `weixin://wxpay/bizpayurl?pr=${intent.id}`,
      image_url: `${pipeline.api.config.api.publicBaseUrl}/payment-qr/${order.id}.png`,
      expires_at: order.expires_at,
    });

    const image = await fetch(`${pipeline.api.baseUrl}/payment-qr/${order.id}.png`);
    assert.equal(image.status, 200);
    assert.equal(image.headers.get('content-type'), 'image/png');
    assert.deepEqual([...new Uint8Array(await image.arrayBuffer()).slice(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

    fake.succeed(intent.id);
    assert.equal((await sendEvent(pipeline.api, fake.signedEvent('payment_intent.succeeded', intent))).status, 200);
    const paid = await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
    assert.equal(paid.next_action, null);
    assert.equal(await balanceOf(pipeline.api, account.apiKey), '50.000000');
    await eventually(async () => ((await fetch(`${pipeline.api.baseUrl}/payment-qr/${order.id}.png`)).status === 404 ? true : undefined), {
      description: 'the paid order\'s QR image to be gone',
    });
    assert.equal((await createTopUp(pipeline.api, account.apiKey, { amount: '5.00', payment_method: 'alipay' })).body.error.code, 'amount_below_minimum');
  });
});
