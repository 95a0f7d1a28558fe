// Hostile webhook input (issue 10, findings 4 to 7), end to end over HTTP with events signed under the
// real secret: what a sender holding the secret, or replaying a captured request, can no longer do.
// Each test's name says what happened before the fix.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Stripe from 'stripe';
import { maximumNoOpEventsPerOrder } from '../api/webhooks/handle-stripe-event.ts';
import { getOrderRow } from '../db/orders/get-order.ts';
import { orderWorkflowId } from '../domain/orders.ts';
import { randomToken } from '../ids/ids.ts';
import type { TestResponse } from './support/api.ts';
import { createTestAccount } from './support/api.ts';
import { eventually } from './support/eventually.ts';
import {
  checkoutEventFor,
  sendWebhook,
  startTestPipeline,
  testWebhookSecret,
  waitForOrder,
  type OrderJson,
  type TestPipeline,
} from './support/pipeline.ts';

let pipeline: TestPipeline;

before(async () => {
  pipeline = await startTestPipeline();
});
after(async () => {
  await pipeline.close();
});

const signer = new Stripe('sk_test_signer').webhooks;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Posts `rawBody` exactly as given, signed under the test secret (at `timestamp`, now by default). */
async function sendSignedBody(rawBody: string, timestamp?: number): Promise<TestResponse> {
  const signature = signer.generateTestHeaderString({
    payload: rawBody,
    secret: testWebhookSecret,
    ...(timestamp === undefined ? {} : { timestamp }),
  });
  return pipeline.api.request('POST', '/webhooks/stripe', { rawBody, headers: { 'stripe-signature': signature } });
}

async function createPendingOrder(apiKey: string): Promise<OrderJson> {
  const response = await pipeline.api.request('POST', '/v1/topups', {
    token: apiKey,
    idempotencyKey: randomToken(12),
    body: { amount: '20.00', payment_method: 'stripe' },
  });
  assert.equal(response.status, 201, response.text);
  return response.body as OrderJson;
}

async function sessionIdOf(orderId: string): Promise<string> {
  const row = await getOrderRow(pipeline.database.sql, orderId, null);
  assert.ok(row?.checkout_session_id, 'the order has a checkout session');
  return row.checkout_session_id;
}

async function eventFor(order: OrderJson, type: Parameters<typeof checkoutEventFor>[1], options: Parameters<typeof checkoutEventFor>[2] = {}) {
  return checkoutEventFor(order, type, { sessionId: await sessionIdOf(order.id), ...options });
}

async function storedEventCount(): Promise<number> {
  const [row] = await pipeline.database.sql<{ count: number }[]>`select count(*)::int as count from stripe_events`;
  return row!.count;
}

async function creditCount(orderId: string): Promise<number> {
  const [row] = await pipeline.database.sql<{ count: number }[]>`
    select count(*)::int as count from transfers where order_id = ${orderId} and flow_type = 'recharge'`;
  return row!.count;
}

/** How many signals the order's workflow history holds: what a flood would grow. */
async function signalsInHistory(orderId: string): Promise<number> {
  const history = await pipeline.api.temporalClient.workflow.getHandle(orderWorkflowId(orderId)).fetchHistory();
  return (history.events ?? []).filter((event) => event.workflowExecutionSignaledEventAttributes != null).length;
}

async function outcomesOf(orderId: string): Promise<Record<string, number>> {
  const rows = await pipeline.database.sql<{ outcome: string | null; count: number }[]>`
    select outcome, count(*)::int as count from stripe_events where order_id = ${orderId} group by outcome`;
  return Object.fromEntries(rows.map((row) => [String(row.outcome), row.count]));
}

/** Sends every event, `concurrency` at a time, and returns the answers in order. */
async function sendAll(events: unknown[], concurrency = 20): Promise<TestResponse[]> {
  const responses: TestResponse[] = [];
  for (let start = 0; start < events.length; start += concurrency) {
    responses.push(...(await Promise.all(events.slice(start, start + concurrency).map((event) => sendWebhook(pipeline.api, event)))));
  }
  return responses;
}

function assertInvalidEvent(response: TestResponse, field: string, label: string): void {
  assert.equal(response.status, 400, `${label}: ${response.text}`);
  assert.equal(response.body?.error?.code, 'invalid_event', `${label}: ${response.text}`);
  assert.equal(response.body.error.field, field, `${label}: ${response.text}`);
}

describe('finding 4: a validly signed but malformed event', () => {
  const event = { id: 'evt_malformed_base', object: 'event', type: 'customer.created', created: nowSeconds(), data: { object: { id: 'cus_1' } } };
  const bodies: [label: string, rawBody: string, field: string][] = [
    ['{}', '{}', 'id'],
    ['[]', '[]', 'body'],
    ['42', '42', 'body'],
    ['null (was a 500: the logger read event.id)', 'null', 'body'],
    ['a string', '"evt_1"', 'body'],
    ['not JSON', '{"id": "evt_1",', 'body'],
    ['no id', JSON.stringify({ ...event, id: undefined }), 'id'],
    ['no type', JSON.stringify({ ...event, type: undefined }), 'type'],
    ['data: null', JSON.stringify({ ...event, data: null }), 'data'],
    ['no data.object', JSON.stringify({ ...event, data: {} }), 'data.object'],
    ['data.object an array', JSON.stringify({ ...event, data: { object: [] } }), 'data.object'],
    ['NUL in the id', JSON.stringify({ ...event, id: 'evt_\u0000x' }), 'id'],
    ['a lone surrogate in the id', JSON.stringify({ ...event, id: 'evt_\ud800' }), 'id'],
    ['an id of 256 characters', JSON.stringify({ ...event, id: `evt_${'a'.repeat(252)}` }), 'id'],
    ['an id that is not an event id', JSON.stringify({ ...event, id: 'cus_123' }), 'id'],
    ['a numeric id', JSON.stringify({ ...event, id: 42 }), 'id'],
    ['NUL in the type', JSON.stringify({ ...event, type: 'customer.\u0000created' }), 'type'],
    ['a lone surrogate in the type', JSON.stringify({ ...event, type: 'customer.\udc00' }), 'type'],
    ['nesting 100,000 levels deep', `{"id":"evt_deep","type":"x","created":1,"data":{"object":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}}`, 'body'],
  ];

  test('is 400 invalid_event naming the field, and records nothing (before: 503 or 500, so Stripe retried it for three days)', async () => {
    const before = await storedEventCount();
    for (const [label, rawBody, field] of bodies) assertInvalidEvent(await sendSignedBody(rawBody), field, label);
    assert.equal(await storedEventCount(), before, 'nothing is recorded');
  });

  test('with a checkout session Refill cannot read, is 400 invalid_event; the order is not signalled and stays pending', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(account.apiKey);
    const paid = await eventFor(order, 'checkout.session.completed');
    const session = paid.data.object;
    const variants: [label: string, object: Record<string, unknown>, field: string][] = [
      ['no session id', { ...session, id: undefined }, 'data.object.id'],
      ['NUL in the session id', { ...session, id: 'cs_\u0000' }, 'data.object.id'],
      ['no payment_status', { ...session, payment_status: undefined }, 'data.object.payment_status'],
      ['a negative amount_total', { ...session, amount_total: -1 }, 'data.object.amount_total'],
      ['a fractional amount_total', { ...session, amount_total: 2000.5 }, 'data.object.amount_total'],
      ['amount_total as text', { ...session, amount_total: '2000' }, 'data.object.amount_total'],
      ['amount_total 1e20', { ...session, amount_total: 1e20 }, 'data.object.amount_total'],
      ['NUL in the currency', { ...session, currency: 'us\u0000d' }, 'data.object.currency'],
      ['a numeric payment_intent', { ...session, payment_intent: 42 }, 'data.object.payment_intent'],
      ['a payment_intent object without id', { ...session, payment_intent: { object: 'payment_intent' } }, 'data.object.payment_intent'],
      ['a lone surrogate in client_reference_id', { ...session, client_reference_id: `${order.id}\ud800` }, 'data.object.client_reference_id'],
      ['NUL in metadata.order_id', { ...session, client_reference_id: null, metadata: { order_id: `${order.id}\u0000` } }, 'data.object.metadata.order_id'],
    ];
    const before = await storedEventCount();
    for (const [label, object, field] of variants) {
      assertInvalidEvent(await sendSignedBody(JSON.stringify({ ...paid, id: `evt_${randomToken()}`, data: { object } })), field, label);
    }
    assert.equal(await storedEventCount(), before, 'nothing is recorded');
    assert.equal(await signalsInHistory(order.id), 0, 'the workflow was not signalled');
    const current = await pipeline.api.request('GET', `/v1/topups/${order.id}`, { token: account.apiKey });
    assert.equal(current.body.status, 'pending');
    assert.equal(await creditCount(order.id), 0);
  });

  test('with NUL or a lone surrogate only in a field Refill does not read is accepted, stored with U+FFFD, and credited', async () => {
    // Before, PostgreSQL refused the payload (jsonb takes neither), so the event was a 503 forever.
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(account.apiKey);
    const paid = await eventFor(order, 'checkout.session.completed');
    const event = { ...paid, data: { object: { ...paid.data.object, custom_text: 'a\u0000b\ud800c', ['key\u0000']: 1 } } };
    const response = await sendWebhook(pipeline.api, event);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.outcome, 'delivered');
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
    const [stored] = await pipeline.database.sql<{ text: string }[]>`
      select payload -> 'data' -> 'object' ->> 'custom_text' as text from stripe_events where id = ${event.id}`;
    assert.equal(stored?.text, 'a\ufffdb\ufffdc');
  });
});

describe('finding 5: a created that is not a plausible integer Unix time', () => {
  test('is 400 invalid_event; the order stays payable, and a good event then credits with the true paid_at (before: "yesterday" or 1e20 stuck the order, null credited it with paid_at 1970-01-01)', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(account.apiKey);
    const paid = await eventFor(order, 'checkout.session.completed');
    const before = await storedEventCount();
    for (const created of ['yesterday', 1e20, null, 1.5, -1, 0, 1_000_000_000, nowSeconds() + 2 * 24 * 60 * 60, '1700000000']) {
      const response = await sendSignedBody(JSON.stringify({ ...paid, id: `evt_${randomToken()}`, created }));
      assertInvalidEvent(response, 'created', `created ${JSON.stringify(created)}`);
    }
    const missing = await sendSignedBody(JSON.stringify({ ...paid, id: `evt_${randomToken()}`, created: undefined }));
    assertInvalidEvent(missing, 'created', 'no created');
    assert.equal(missing.body.error.message, "The event's created is missing.");
    assert.equal(await storedEventCount(), before);
    assert.equal(await signalsInHistory(order.id), 0);

    const delivered = await sendWebhook(pipeline.api, paid);
    assert.equal(delivered.status, 200, delivered.text);
    const succeeded = await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
    assert.ok(Math.abs(Date.parse(String(succeeded.paid_at)) - paid.created * 1000) < 1000, `paid_at ${succeeded.paid_at}`);
    assert.equal(await creditCount(order.id), 1);
  });
});

describe('finding 7: a signature timestamp in the future', () => {
  test('beyond the 300-second tolerance is 400 signature_expired and records nothing (before: t = now + 10 years verified)', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(account.apiKey);
    const paid = await eventFor(order, 'checkout.session.completed');
    const before = await storedEventCount();
    for (const timestamp of [nowSeconds() + 10 * 365 * 24 * 60 * 60, nowSeconds() + 3600, nowSeconds() + 310]) {
      const response = await sendWebhook(pipeline.api, paid, { timestamp });
      assert.equal(response.status, 400, response.text);
      assert.equal(response.body.error.code, 'signature_expired');
      assert.match(response.body.error.message, /in the future/);
    }
    assert.equal(await storedEventCount(), before);
    assert.equal(await creditCount(order.id), 0);
    // A sender's clock a little ahead is within the tolerance, as a little behind is.
    const skewed = await sendWebhook(pipeline.api, paid, { timestamp: nowSeconds() + 240 });
    assert.equal(skewed.status, 200, skewed.text);
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
  });

  test('a timestamp that is not one plain integer is 400 invalid_signature (Stripe\'s library reads t=abc as NaN and then checks no time at all)', async () => {
    const payload = JSON.stringify({ id: `evt_${randomToken()}`, object: 'event', type: 'customer.created', created: nowSeconds(), data: { object: {} } });
    const signatureOver = (timestamp: string) => createHmac('sha256', testWebhookSecret).update(`${timestamp}.${payload}`).digest('hex');
    const headers = [
      `t=abc,v1=${signatureOver('NaN')}`,
      `t=${nowSeconds()}abc,v1=${signatureOver(String(nowSeconds()))}`,
      `t=1,t=${nowSeconds()},v1=${signatureOver(String(nowSeconds()))}`,
    ];
    const before = await storedEventCount();
    for (const header of headers) {
      const response = await pipeline.api.request('POST', '/webhooks/stripe', { rawBody: payload, headers: { 'stripe-signature': header } });
      assert.equal(response.status, 400, `${header}: ${response.text}`);
      assert.equal(response.body.error.code, 'invalid_signature', header);
    }
    assert.equal(await storedEventCount(), before);
  });
});

describe('finding 6: flooding an order', () => {
  test(`200 duplicates by content, then the real payment: at most ${maximumNoOpEventsPerOrder} of them are signalled, and the payment is credited once (before: every one landed in the history, and past 50 the payment was dropped)`, async (context) => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(account.apiKey);
    // A delayed payment method: completed unpaid first, succeeded days later.
    const completed = await eventFor(order, 'checkout.session.completed', { paymentStatus: 'unpaid' });
    assert.equal((await sendWebhook(pipeline.api, completed)).body.outcome, 'delivered');
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['processing']);

    const duplicates = Array.from({ length: 200 }, () => ({ ...completed, id: `evt_${randomToken()}` }));
    const answers = await sendAll(duplicates);
    assert.ok(answers.every((answer) => answer.status === 200), 'every duplicate is acknowledged, so the sender stops');
    const outcomes = await outcomesOf(order.id);
    assert.deepEqual(outcomes, { delivered: 1 + maximumNoOpEventsPerOrder, ignored_duplicate: 200 - maximumNoOpEventsPerOrder });

    const succeeded = await eventFor(order, 'checkout.session.async_payment_succeeded');
    const payment = await sendWebhook(pipeline.api, succeeded);
    assert.equal(payment.status, 200, payment.text);
    assert.equal(payment.body.outcome, 'delivered');
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
    assert.equal(await creditCount(order.id), 1);
    const balance = await pipeline.api.request('GET', '/v1/balance', { token: account.apiKey });
    assert.equal(balance.body.balance, '20.000000');
    const signals = await signalsInHistory(order.id);
    assert.equal(signals, 1 + maximumNoOpEventsPerOrder + 1);
    context.diagnostic(`signals in the order's history: ${signals} for 202 events (one per event before)`);
  });

  test('a flood of the credited payment changes nothing, and a second, different payment after it is still a payment exception', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(account.apiKey);
    const paid = await eventFor(order, 'checkout.session.completed');
    await sendWebhook(pipeline.api, paid);
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
    const answers = await sendAll(Array.from({ length: 100 }, () => ({ ...paid, id: `evt_${randomToken()}` })));
    assert.ok(answers.every((answer) => answer.status === 200));
    assert.equal((await outcomesOf(order.id)).ignored_duplicate, 100 - maximumNoOpEventsPerOrder);
    assert.equal(await creditCount(order.id), 1);

    // The customer paid a second time (another payment intent): never capped, never lost.
    const second = await eventFor(order, 'checkout.session.completed', { eventId: `evt_${randomToken()}` });
    second.data.object.payment_intent = `pi_second_${randomToken(8)}`;
    const response = await sendWebhook(pipeline.api, second);
    assert.equal(response.status, 200, response.text);
    assert.notEqual(response.body.outcome, 'ignored_duplicate');
    await eventually(
      async () => {
        const [row] = await pipeline.database.sql<{ id: string }[]>`select id from payment_exceptions where event_id = ${second.id}`;
        return row;
      },
      { description: 'the second payment as a payment exception' },
    );
  });

  test('a redelivery of an event already delivered is answered with its outcome and not signalled again (before: every replay was a signal)', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(account.apiKey);
    const completed = await eventFor(order, 'checkout.session.completed', { paymentStatus: 'unpaid' });
    for (let delivery = 0; delivery < 20; delivery += 1) {
      const response = await sendWebhook(pipeline.api, completed);
      assert.equal(response.body.outcome, 'delivered', response.text);
    }
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['processing']);
    assert.equal(await signalsInHistory(order.id), 1);
  });

  test('events for another checkout session are ignored by the order, count against the cap, and never credit', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(account.apiKey);
    const foreign = Array.from({ length: maximumNoOpEventsPerOrder + 10 }, (_, index) =>
      checkoutEventFor(order, 'checkout.session.completed', { sessionId: `cs_test_other_${index}`, eventId: `evt_${randomToken()}` }),
    );
    await sendAll(foreign);
    assert.deepEqual(await outcomesOf(order.id), { delivered: maximumNoOpEventsPerOrder, ignored_duplicate: 10 });
    const paid = await eventFor(order, 'checkout.session.completed');
    assert.equal((await sendWebhook(pipeline.api, paid)).body.outcome, 'delivered');
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
    assert.equal(await creditCount(order.id), 1);
  });
});
