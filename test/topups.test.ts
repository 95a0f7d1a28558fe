// Top-up orders end to end over HTTP: real Temporal, real Postgres, Stripe calls against stripe-mock,
// webhooks as signed Stripe-format events.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkLedgerInvariants } from '../db/ledger/check-invariants.ts';
import { getOrderRow } from '../db/orders/get-order.ts';
import { saveCheckoutSession } from '../db/orders/save-checkout-session.ts';
import { snapshotFromRow } from '../db/orders/order-row.ts';
import { freePort } from '../dev/ports.ts';
import { paymentExceptionIdFor } from '../domain/payment-exceptions.ts';
import { balanceOf, createTestAccount, startTestApi, testAdminToken, uniqueKey } from './support/api.ts';
import { eventually } from './support/eventually.ts';
import { createPendingOrder, createTopUp, creditOrderDirectly, paidEvent, rechargeCount, sessionIdOf } from './support/orders.ts';
import { testOperatorToken } from './support/operators.ts';
import {
  checkoutEventFor,
  sendWebhook,
  startTestPipeline,
  waitForOrder,
  waitForOrderWorkflow,
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

describe('options and quotes', () => {
  test('topup-options lists the presets, limits and payment methods of the account\'s currency', async () => {
    const usd = await createTestAccount(pipeline.api, 'USD');
    const cny = await createTestAccount(pipeline.api, 'CNY');
    const usdOptions = await pipeline.api.request('GET', '/v1/topup-options', { token: usd.apiKey });
    assert.equal(usdOptions.status, 200);
    assert.deepEqual(usdOptions.body.packages.map((item: { amount: string }) => item.amount), ['20.000000', '100.000000', '500.000000', '1500.000000']);
    // Airwallex has no credentials in this pipeline: the sandbox stands in for it, so it is offered too.
    assert.deepEqual(usdOptions.body.payment_methods.map((method: { id: string }) => method.id), ['stripe', 'airwallex']);
    const cnyOptions = await pipeline.api.request('GET', '/v1/topup-options', { token: cny.apiKey });
    assert.deepEqual(cnyOptions.body.packages.map((item: { amount: string }) => item.amount), ['50.000000', '100.000000', '500.000000', '1000.000000']);
    const bank = cnyOptions.body.payment_methods.find((method: { id: string }) => method.id === 'bank_transfer');
    assert.equal(bank.min, '50.000000');
  });

  test('a quote shows amount, discount, pay amount, bonus and credit, and changes nothing', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const promo = await pipeline.api.request('POST', '/admin/promo-codes', {
      token: testAdminToken,
      body: { code: uniqueKey('SAVE10'), kind: 'discount_percent', percent: '10', currency: 'USD' },
    });
    assert.equal(promo.status, 201, promo.text);
    const quote = await pipeline.api.request('POST', '/v1/topup-quotes', {
      token: account.apiKey,
      body: { package_id: 'usd_100', payment_method: 'stripe', promo_code: promo.body.code.toLowerCase() },
    });
    assert.equal(quote.status, 200, quote.text);
    assert.deepEqual(
      { amount: quote.body.amount, discount: quote.body.discount, pay: quote.body.pay_amount, bonus: quote.body.bonus, credit: quote.body.credit },
      { amount: '100.000000', discount: '10.000000', pay: '90.000000', bonus: '5.000000', credit: '105.000000' },
    );
    const usage = await pipeline.api.request('GET', `/admin/promo-codes/${promo.body.code}`, { token: testAdminToken });
    assert.deepEqual(usage.body.usage, { reserved: 0, redeemed: 0 });
  });

  test('a custom amount earns the bonus of the highest tier it reaches', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const quote = await pipeline.api.request('POST', '/v1/topup-quotes', {
      token: account.apiKey,
      body: { amount: '600.00', payment_method: 'stripe' },
    });
    assert.equal(quote.body.bonus, '48.000000');
    assert.equal(quote.body.credit, '648.000000');
  });

  test('bad choices are refused with precise codes', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const cases: [Record<string, unknown>, number, string][] = [
      [{ amount: '1.00', payment_method: 'stripe' }, 422, 'amount_below_minimum'],
      [{ amount: '100000.00', payment_method: 'stripe' }, 422, 'amount_above_maximum'],
      [{ amount: '20.001', payment_method: 'stripe' }, 422, 'amount_too_precise'],
      [{ package_id: 'usd_7', payment_method: 'stripe' }, 422, 'unknown_package'],
      [{ amount: '20.00', package_id: 'usd_20', payment_method: 'stripe' }, 422, 'missing_field'],
      [{ payment_method: 'stripe' }, 422, 'missing_field'],
      [{ amount: '20.00', payment_method: 'bank_transfer' }, 422, 'payment_method_unavailable'],
      [{ amount: '20.00', payment_method: 'paypal' }, 422, 'invalid_field'],
      [{ amount: '20.00', payment_method: 'stripe', promo_code: 'NOSUCHCODE' }, 422, 'promo_code_not_found'],
      [{ amount: 20, payment_method: 'stripe' }, 422, 'invalid_amount'],
    ];
    for (const [body, status, code] of cases) {
      const response = await pipeline.api.request('POST', '/v1/topup-quotes', { token: account.apiKey, body });
      assert.equal(response.status, status, `${JSON.stringify(body)}: ${response.text}`);
      assert.equal(response.body.error.code, code, JSON.stringify(body));
    }
  });

  test('a promo code that would take pay_amount below the minimum is refused on the quote and the order, reserving nothing', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const promo = await pipeline.api.request('POST', '/admin/promo-codes', {
      token: testAdminToken,
      body: { code: uniqueKey('TENOFF'), kind: 'discount_percent', percent: '10', currency: 'USD' },
    });
    assert.equal(promo.status, 201, promo.text);
    const body = { amount: '5.00', payment_method: 'stripe', promo_code: promo.body.code };
    const quote = await pipeline.api.request('POST', '/v1/topup-quotes', { token: account.apiKey, body });
    assert.equal(quote.status, 422, quote.text);
    assert.deepEqual([quote.body.error.code, quote.body.error.field], ['pay_amount_below_minimum', 'promo_code']);
    assert.match(quote.body.error.message, /4\.50 USD, below the minimum for stripe of 5\.00 USD/);
    const order = await pipeline.api.request('POST', '/v1/topups', { token: account.apiKey, body, idempotencyKey: uniqueKey('below') });
    assert.equal(order.status, 422, order.text);
    assert.equal(order.body.error.code, 'pay_amount_below_minimum');
    const usage = await pipeline.api.request('GET', `/admin/promo-codes/${promo.body.code}`, { token: testAdminToken });
    assert.deepEqual(usage.body.usage, { reserved: 0, redeemed: 0 });
  });

  test('promo codes are refused when expired or not applicable, with the reason', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const expiredCode = uniqueKey('OLD');
    const expired = await pipeline.api.request('POST', '/admin/promo-codes', {
      token: testAdminToken,
      body: { code: expiredCode, kind: 'bonus_fixed', amount: '5.00', currency: 'USD', expires_at: '2020-01-01T00:00:00Z' },
    });
    const cnyOnly = await pipeline.api.request('POST', '/admin/promo-codes', {
      token: testAdminToken,
      body: { code: uniqueKey('CNY'), kind: 'bonus_percent', percent: '5', currency: 'CNY' },
    });
    const bigOnly = await pipeline.api.request('POST', '/admin/promo-codes', {
      token: testAdminToken,
      body: { code: uniqueKey('BIG'), kind: 'discount_fixed', amount: '10.00', currency: 'USD', min_amount: '500.00' },
    });
    for (const [promo, code] of [
      [expired, 'promo_code_expired'],
      [cnyOnly, 'promo_code_not_applicable'],
      [bigOnly, 'promo_code_not_applicable'],
    ] as const) {
      assert.equal(promo.status, 201, promo.text);
      const response = await pipeline.api.request('POST', '/v1/topup-quotes', {
        token: account.apiKey,
        body: { amount: '100.00', payment_method: 'stripe', promo_code: promo.body.code },
      });
      assert.equal(response.status, 422);
      assert.equal(response.body.error.code, code);
      assert.equal(response.body.error.field, 'promo_code');
    }
    const duplicate = await pipeline.api.request('POST', '/admin/promo-codes', {
      token: testAdminToken,
      body: { code: expiredCode, kind: 'bonus_fixed', amount: '5.00', currency: 'USD' },
    });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.error.code, 'promo_code_exists');
  });
});

describe('the happy path', () => {
  test('a paid checkout credits amount plus bonus once and shows in the account flows', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(pipeline.api, account.apiKey, { package_id: 'usd_100', payment_method: 'stripe' });
    assert.equal(order.status, 'pending');
    assert.match(String(order.checkout_url), /^https:\/\/checkout\.stripe\.com\//);
    assert.equal(order.amount, '100.000000');
    assert.equal(order.credit, '105.000000');

    const delivered = await sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, order));
    assert.equal(delivered.status, 200, delivered.text);
    assert.equal(delivered.body.outcome, 'delivered');
    // The receipt link follows the credit by a provider call.
    const succeeded = await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded'], { until: (paid) => paid.receipt_url !== null });
    assert.ok(succeeded.paid_at !== null && succeeded.credited_at !== null);
    // From the payment's charge at Stripe (stripe-mock's fixture).
    assert.match(String(succeeded.receipt_url), /^https:\/\//);
    assert.equal(succeeded.checkout_url, null);
    assert.equal(await balanceOf(pipeline.api, account.apiKey), '105.000000');

    const flows = await pipeline.api.request('GET', '/v1/account-flows?type=recharge', { token: account.apiKey });
    assert.equal(flows.body.data.length, 1);
    assert.equal(flows.body.data[0].amount, '105.000000');
    assert.equal(flows.body.data[0].order_id, order.id);
    assert.deepEqual(await checkLedgerInvariants(pipeline.database.sql), []);
  });

  test('the same Idempotency-Key and body return the same order; another body is 409 idempotency_key_reused', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const key = uniqueKey('same');
    const first = await createTopUp(pipeline.api, account.apiKey, { amount: '25.00', payment_method: 'stripe' }, key);
    const second = await createTopUp(pipeline.api, account.apiKey, { amount: '25.00', payment_method: 'stripe' }, key);
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.equal(second.body.id, first.body.id);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    const other = await createTopUp(pipeline.api, account.apiKey, { amount: '26.00', payment_method: 'stripe' }, key);
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'idempotency_key_reused');
    const list = await pipeline.api.request('GET', '/v1/topups', { token: account.apiKey });
    assert.equal(list.body.data.length, 1);
  });

  test('concurrent creations with one key make one order', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const key = uniqueKey('race');
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => createTopUp(pipeline.api, account.apiKey, { amount: '30.00', payment_method: 'stripe' }, key)),
    );
    assert.deepEqual(responses.map((response) => response.status), [201, 201, 201, 201, 201]);
    assert.equal(new Set(responses.map((response) => response.body.id)).size, 1);
    const list = await pipeline.api.request('GET', '/v1/topups', { token: account.apiKey });
    assert.equal(list.body.data.length, 1);
  });

  test('orders are listed newest first with a status filter and cursor, and are private to their account', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const other = await createTestAccount(pipeline.api, 'USD');
    const created: string[] = [];
    for (let index = 0; index < 3; index += 1) created.push((await createPendingOrder(pipeline.api, account.apiKey)).id);
    const firstPage = await pipeline.api.request('GET', '/v1/topups?limit=2&status=pending', { token: account.apiKey });
    assert.deepEqual(firstPage.body.data.map((order: OrderJson) => order.id), [created[2], created[1]]);
    const secondPage = await pipeline.api.request('GET', `/v1/topups?limit=2&cursor=${firstPage.body.next_cursor}`, { token: account.apiKey });
    assert.deepEqual(secondPage.body.data.map((order: OrderJson) => order.id), [created[0]]);
    assert.equal(secondPage.body.next_cursor, null);
    const foreign = await pipeline.api.request('GET', `/v1/topups/${created[0]}`, { token: other.apiKey });
    assert.equal(foreign.status, 404);
    const foreignCancel = await pipeline.api.request('POST', `/v1/topups/${created[0]}/cancel`, { token: other.apiKey });
    assert.equal(foreignCancel.status, 404);
    const badFilter = await pipeline.api.request('GET', '/v1/topups?status=paid', { token: account.apiKey });
    assert.equal(badFilter.body.error.code, 'invalid_query_parameter');
  });
});

describe('webhooks', () => {
  test('each event delivered five times at once credits exactly once', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(pipeline.api, account.apiKey);
    const event = await paidEvent(pipeline.database.sql, order);
    const responses = await Promise.all(Array.from({ length: 5 }, () => sendWebhook(pipeline.api, event)));
    assert.ok(responses.every((response) => response.status === 200), responses.map((response) => response.text).join());
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
    // Also five different deliveries of equivalent events (new ids): still one credit.
    await Promise.all(Array.from({ length: 5 }, async () => sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, order))));
    // Once the workflow has finished it has applied every event that reached it; the rest were answered by the webhook.
    await waitForOrderWorkflow(pipeline.api, order.id);
    assert.equal(await rechargeCount(pipeline.database.sql, order.id), 1);
    assert.equal(await balanceOf(pipeline.api, account.apiKey), '20.000000');
    const [recorded] = await pipeline.database.sql<{ count: number }[]>`
      select count(*)::int as count from stripe_events where id = ${event.id}`;
    assert.equal(recorded!.count, 1);
  });

  test('a bad signature is 400 invalid_signature and records nothing', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(pipeline.api, account.apiKey);
    const event = await paidEvent(pipeline.database.sql, order);
    const wrongSecret = await sendWebhook(pipeline.api, event, { secret: 'whsec_not_the_secret' });
    assert.equal(wrongSecret.status, 400);
    assert.equal(wrongSecret.body.error.code, 'invalid_signature');
    const tampered = await sendWebhook(pipeline.api, event, { body: JSON.stringify({ ...event, id: 'evt_tampered' }) });
    assert.equal(tampered.body.error.code, 'invalid_signature');
    const unsigned = await pipeline.api.request('POST', '/webhooks/stripe', { body: event });
    assert.equal(unsigned.status, 400);
    const [recorded] = await pipeline.database.sql<{ count: number }[]>`
      select count(*)::int as count from stripe_events where order_id = ${order.id}`;
    assert.equal(recorded!.count, 0);
    assert.equal((await pipeline.api.request('GET', `/v1/topups/${order.id}`, { token: account.apiKey })).body.status, 'pending');
  });

  test('a signature older than the tolerance is 400 signature_expired', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(pipeline.api, account.apiKey);
    const stale = await sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, order), { timestamp: Math.floor(Date.now() / 1000) - 301 });
    assert.equal(stale.status, 400);
    assert.equal(stale.body.error.code, 'signature_expired');
    assert.equal(await rechargeCount(pipeline.database.sql, order.id), 0);
  });

  test('an event for an unknown order, or of another type, is recorded and acknowledged', async () => {
    const unknown = await sendWebhook(
      pipeline.api,
      checkoutEventFor({ id: 'ord_000000000000000000000000', status: 'pending', checkout_url: null, pay_amount: '1.000000', currency: 'USD' }, 'checkout.session.completed'),
    );
    assert.equal(unknown.status, 200);
    assert.equal(unknown.body.outcome, 'unknown_order');
    const otherType = await sendWebhook(pipeline.api, { id: uniqueKey('evt_other').replaceAll('-', '_'), object: 'event', type: 'customer.created', created: Math.floor(Date.now() / 1000), data: { object: { id: 'cus_1' } } });
    assert.equal(otherType.status, 200);
    assert.equal(otherType.body.outcome, 'ignored_type');
  });

  test('an amount that does not match the quote is held for review, not credited', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(pipeline.api, account.apiKey, { amount: '50.00', payment_method: 'stripe' });
    await sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, order, { amountTotal: 500 }));
    const held = await waitForOrder(pipeline.api, account.apiKey, order.id, ['processing']);
    assert.equal(held.needs_review, true);
    assert.equal(await rechargeCount(pipeline.database.sql, order.id), 0);
    assert.equal(await balanceOf(pipeline.api, account.apiKey), '0.000000');

    const otherCurrency = await createPendingOrder(pipeline.api, account.apiKey, { amount: '50.00', payment_method: 'stripe' });
    await sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, otherCurrency, { currency: 'eur' }));
    assert.equal((await waitForOrder(pipeline.api, account.apiKey, otherCurrency.id, ['processing'])).needs_review, true);
  });

  test('ops resolve a held payment once: credit the locked quote, or fail the order', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const held = await createPendingOrder(pipeline.api, account.apiKey, { amount: '50.00', payment_method: 'stripe' });
    await sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, held, { amountTotal: 4_999 }));
    await waitForOrder(pipeline.api, account.apiKey, held.id, ['processing']);
    const resolve = (orderId: string, body: unknown, token = testOperatorToken('ops-alice')) =>
      pipeline.api.request('POST', `/admin/topups/${orderId}/resolve-review`, { token, body, headers: { 'x-operator': 'ops-alice' } });

    const byCustomer = await resolve(held.id, { decision: 'credit', reason: 'checked' }, account.apiKey);
    assert.equal(byCustomer.status, 403);
    const credited = await resolve(held.id, { decision: 'credit', reason: 'one cent short: bank fee, accepted' });
    assert.equal(credited.status, 200, credited.text);
    assert.equal(credited.body.status, 'succeeded');
    assert.equal(credited.body.needs_review, false);
    assert.equal(await balanceOf(pipeline.api, account.apiKey), '50.000000');
    const repeat = await resolve(held.id, { decision: 'credit', reason: 'one cent short: bank fee, accepted' });
    assert.equal(repeat.status, 200);
    assert.equal(repeat.body.status, 'succeeded');
    const contrary = await resolve(held.id, { decision: 'fail', reason: 'changed my mind' });
    assert.equal(contrary.status, 409);
    assert.equal(contrary.body.error.code, 'order_already_reviewed');
    assert.equal(await rechargeCount(pipeline.database.sql, held.id), 1);
    const actions = await pipeline.api.request('GET', `/admin/topups/${held.id}`, { token: testAdminToken });
    assert.ok(
      actions.body.actions.some((action: { action: string; actor: string }) => action.action === 'resolve_review' && action.actor === 'ops-alice'),
      actions.text,
    );

    const refused = await createPendingOrder(pipeline.api, account.apiKey, { amount: '50.00', payment_method: 'stripe' });
    await sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, refused, { currency: 'eur' }));
    await waitForOrder(pipeline.api, account.apiKey, refused.id, ['processing']);
    const failed = await resolve(refused.id, { decision: 'fail', reason: 'paid in EUR: refund at Stripe' });
    assert.equal(failed.body.status, 'failed');
    assert.match(failed.body.failure_reason, /paid in EUR/);
    assert.equal(await rechargeCount(pipeline.database.sql, refused.id), 0);

    const pending = await createPendingOrder(pipeline.api, account.apiKey);
    const notHeld = await resolve(pending.id, { decision: 'credit', reason: 'x' });
    assert.equal(notHeld.status, 409);
    assert.equal(notHeld.body.error.code, 'order_not_in_review');
    assert.equal((await resolve(pending.id, { decision: 'maybe', reason: 'x' })).body.error.code, 'invalid_field');
  });

  test('a delayed payment goes to processing, then succeeds or fails with the async events', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(pipeline.api, account.apiKey);
    await sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, order, { paymentStatus: 'unpaid' }));
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['processing']);
    const cancel = await pipeline.api.request('POST', `/v1/topups/${order.id}/cancel`, { token: account.apiKey });
    assert.equal(cancel.status, 409);
    assert.equal(cancel.body.error.code, 'order_not_cancellable');
    const sessionId = await sessionIdOf(pipeline.database.sql, order.id);
    await sendWebhook(pipeline.api, checkoutEventFor(order, 'checkout.session.async_payment_succeeded', { sessionId }));
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
    assert.equal(await balanceOf(pipeline.api, account.apiKey), '20.000000');

    const failing = await createPendingOrder(pipeline.api, account.apiKey);
    const failingSession = await sessionIdOf(pipeline.database.sql, failing.id);
    await sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, failing, { paymentStatus: 'unpaid' }));
    await sendWebhook(pipeline.api, checkoutEventFor(failing, 'checkout.session.async_payment_failed', { sessionId: failingSession }));
    const failed = await waitForOrder(pipeline.api, account.apiKey, failing.id, ['failed']);
    assert.equal(failed.failure_reason, 'The payment failed.');
    assert.equal(await balanceOf(pipeline.api, account.apiKey), '20.000000');
  });
});

describe('events out of order', () => {
  test('expired after completed leaves the order succeeded', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(pipeline.api, account.apiKey);
    const sessionId = await sessionIdOf(pipeline.database.sql, order.id);
    await sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, order));
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
    const late = await sendWebhook(pipeline.api, checkoutEventFor(order, 'checkout.session.expired', { sessionId }));
    assert.equal(late.status, 200);
    // The late event is applied, or was answered by the webhook, once the workflow has finished.
    await waitForOrderWorkflow(pipeline.api, order.id);
    assert.equal((await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded'])).status, 'succeeded');
    assert.equal(await rechargeCount(pipeline.database.sql, order.id), 1);
  });

  test('async failed after succeeded leaves the order succeeded', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(pipeline.api, account.apiKey);
    const sessionId = await sessionIdOf(pipeline.database.sql, order.id);
    await sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, order, { paymentStatus: 'unpaid' }));
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['processing']);
    await sendWebhook(pipeline.api, checkoutEventFor(order, 'checkout.session.async_payment_succeeded', { sessionId }));
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
    const late = await sendWebhook(pipeline.api, checkoutEventFor(order, 'checkout.session.async_payment_failed', { sessionId }));
    assert.equal(late.status, 200);
    await waitForOrderWorkflow(pipeline.api, order.id);
    const final = await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
    assert.equal(final.failure_reason, null);
    assert.equal(await balanceOf(pipeline.api, account.apiKey), '20.000000');
  });

  test('completed after cancel is not credited but becomes a payment exception, so the payment is not lost', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(pipeline.api, account.apiKey);
    const event = await paidEvent(pipeline.database.sql, order);
    const cancelled = await pipeline.api.request('POST', `/v1/topups/${order.id}/cancel`, { token: account.apiKey });
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(cancelled.body.status, 'cancelled');
    assert.equal(cancelled.body.checkout_url, null);
    const late = await sendWebhook(pipeline.api, event);
    assert.equal(late.status, 200);
    // Either the still-running workflow or the webhook after it finished records it, under the event's id.
    const exceptionId = paymentExceptionIdFor(event.id);
    const exception = await eventually(
      async () => {
        const response = await pipeline.api.request('GET', `/admin/payment-exceptions/${exceptionId}`, { token: testAdminToken });
        return response.status === 200 ? response.body : undefined;
      },
      { description: 'the payment exception' },
    );
    assert.equal(exception.status, 'open');
    assert.equal(exception.order_id, order.id);
    assert.equal(exception.order_status, 'cancelled');
    const open = await pipeline.api.request('GET', '/admin/payment-exceptions?status=open&limit=100', { token: testAdminToken });
    assert.ok(open.body.data.some((item: { id: string }) => item.id === exceptionId));
    // The cancelled order is history: not edited, not credited.
    const final = await waitForOrder(pipeline.api, account.apiKey, order.id, ['cancelled']);
    assert.equal(final.needs_review, false);
    assert.equal(await rechargeCount(pipeline.database.sql, order.id), 0);
  });
});

describe('cancel and resume', () => {
  test('resume returns the still-valid checkout; a cancelled order cannot be resumed, paid or cancelled again', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(pipeline.api, account.apiKey);
    const resumed = await pipeline.api.request('POST', `/v1/topups/${order.id}/resume`, { token: account.apiKey });
    assert.equal(resumed.status, 200, resumed.text);
    assert.equal(resumed.body.checkout_url, order.checkout_url);
    const cancelled = await pipeline.api.request('POST', `/v1/topups/${order.id}/cancel`, { token: account.apiKey });
    assert.equal(cancelled.body.status, 'cancelled');
    const again = await pipeline.api.request('POST', `/v1/topups/${order.id}/cancel`, { token: account.apiKey });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'order_not_cancellable');
    const resumeAfter = await pipeline.api.request('POST', `/v1/topups/${order.id}/resume`, { token: account.apiKey });
    assert.equal(resumeAfter.status, 409);
    assert.equal(resumeAfter.body.error.code, 'order_not_resumable');
  });

  test('cancel racing payment ends in exactly one of cancelled or succeeded', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const outcomes: string[] = [];
    for (let round = 0; round < 4; round += 1) {
      const order = await createPendingOrder(pipeline.api, account.apiKey);
      const event = await paidEvent(pipeline.database.sql, order);
      const [cancel] = await Promise.all([
        pipeline.api.request('POST', `/v1/topups/${order.id}/cancel`, { token: account.apiKey }),
        sendWebhook(pipeline.api, event),
      ]);
      const final = await waitForOrder(pipeline.api, account.apiKey, order.id, ['cancelled', 'succeeded']);
      outcomes.push(final.status);
      assert.equal(cancel.status === 200, final.status === 'cancelled', `cancel said ${cancel.status}, order is ${final.status}`);
      assert.equal(await rechargeCount(pipeline.database.sql, order.id), final.status === 'succeeded' ? 1 : 0);
    }
    const succeeded = outcomes.filter((status) => status === 'succeeded').length;
    assert.equal(await balanceOf(pipeline.api, account.apiKey), `${20 * succeeded}.000000`);
    assert.deepEqual(await checkLedgerInvariants(pipeline.database.sql), []);
  });
});

describe('promo codes under concurrency', () => {
  test('a code at its redemption limit is never over-reserved by concurrent orders, and is released by cancel', async () => {
    const code = uniqueKey('LIMIT');
    const created = await pipeline.api.request('POST', '/admin/promo-codes', {
      token: testAdminToken,
      body: { code, kind: 'bonus_fixed', amount: '2.00', currency: 'USD', max_redemptions: 3 },
    });
    assert.equal(created.status, 201, created.text);
    const accounts = await Promise.all(Array.from({ length: 8 }, () => createTestAccount(pipeline.api, 'USD')));
    const responses = await Promise.all(
      accounts.map((account) => createTopUp(pipeline.api, account.apiKey, { amount: '20.00', payment_method: 'stripe', promo_code: code })),
    );
    const accepted = responses.filter((response) => response.status === 201);
    const refused = responses.filter((response) => response.status !== 201);
    assert.equal(accepted.length, 3, responses.map((response) => response.text).join('\n'));
    assert.ok(refused.every((response) => response.status === 422 && response.body.error.code === 'promo_code_exhausted'));
    assert.ok(accepted.every((response) => response.body.bonus === '2.000000'));
    const [reservations] = await pipeline.database.sql<{ count: number }[]>`
      select count(*)::int as count from promo_reservations where code = ${code} and status <> 'released'`;
    assert.equal(reservations!.count, 3);

    // Cancelling one frees its reservation for another account; paying one redeems it.
    const firstIndex = responses.findIndex((response) => response.status === 201);
    await pipeline.api.request('POST', `/v1/topups/${responses[firstIndex]!.body.id}/cancel`, { token: accounts[firstIndex]!.apiKey });
    const secondIndex = responses.findIndex((response, index) => response.status === 201 && index !== firstIndex);
    const secondOrder = responses[secondIndex]!.body as OrderJson;
    await sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, secondOrder));
    await waitForOrder(pipeline.api, accounts[secondIndex]!.apiKey, secondOrder.id, ['succeeded']);
    assert.equal(await balanceOf(pipeline.api, accounts[secondIndex]!.apiKey), '22.000000');
    const refusedIndex = responses.findIndex((response) => response.status !== 201);
    const retry = await createTopUp(pipeline.api, accounts[refusedIndex]!.apiKey, { amount: '20.00', payment_method: 'stripe', promo_code: code });
    assert.equal(retry.status, 201, retry.text);
    const usage = await pipeline.api.request('GET', `/admin/promo-codes/${code}`, { token: testAdminToken });
    assert.deepEqual(usage.body.usage, { reserved: 2, redeemed: 1 });
  });
});

describe('crashes and outages', () => {
  test('a checkout attempt that answers after a later one, or after the payment, never writes over the order', async () => {
    // Opening a checkout runs as a local activity first, then through the server: an attempt that
    // outlived its timeout may still save its session. It only ever lands on the pending order.
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(pipeline.api, account.apiKey);
    const sql = pipeline.database.sql;
    const sessionId = await sessionIdOf(sql, order.id);
    const late = { orderId: order.id, checkoutSessionId: sessionId, checkoutUrl: String(order.checkout_url) };
    assert.equal(await saveCheckoutSession(sql, late), true, 'the same session again is a repeat');
    assert.equal(await saveCheckoutSession(sql, { ...late, checkoutSessionId: 'cs_test_another', checkoutUrl: 'https://checkout.stripe.com/c/pay/other' }), false);
    assert.equal((await getOrderRow(sql, order.id, null))?.checkout_session_id, sessionId);

    await sendWebhook(pipeline.api, await paidEvent(sql, order));
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
    const credited = await getOrderRow(sql, order.id, null);
    assert.equal(await saveCheckoutSession(sql, late), false, 'a credited order takes no session');
    const after = await getOrderRow(sql, order.id, null);
    assert.equal(after?.status, 'succeeded');
    assert.deepEqual([after?.checkout_session_id, after?.checkout_url, after?.credited_at], [credited?.checkout_session_id, credited?.checkout_url, credited?.credited_at]);
  });

  test('a payment that arrives while the worker is down is credited once when it comes back', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(pipeline.api, account.apiKey);
    const event = await paidEvent(pipeline.database.sql, order);
    await pipeline.stopWorker();
    try {
      const delivered = await sendWebhook(pipeline.api, event);
      // The signal is durable in Temporal even with no worker running.
      assert.equal(delivered.status, 200);
      assert.equal(await rechargeCount(pipeline.database.sql, order.id), 0);
    } finally {
      await pipeline.startWorker();
    }
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
    assert.equal(await rechargeCount(pipeline.database.sql, order.id), 1);
  });

  test('a credit committed before the worker could report it is not applied a second time', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(pipeline.api, account.apiKey);
    const row = await getOrderRow(pipeline.database.sql, order.id, null);
    // What a crash right after the credit's commit leaves behind: the credit is in the ledger, the
    // workflow does not know, and its retried activity runs again.
    await creditOrderDirectly(pipeline.database.sql, snapshotFromRow(row!));
    await sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, order));
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
    assert.equal(await rechargeCount(pipeline.database.sql, order.id), 1);
    assert.equal(await balanceOf(pipeline.api, account.apiKey), '20.000000');
  });

  test('a webhook that cannot reach Temporal is answered 503, so Stripe retries', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createPendingOrder(pipeline.api, account.apiKey);
    const event = await paidEvent(pipeline.database.sql, order);
    const cutOff = await startTestApi({
      sql: pipeline.database.sql,
      databaseUrl: pipeline.database.url,
      temporalAddress: `127.0.0.1:${await freePort()}`,
      environment: { STRIPE_SECRET_KEY: 'sk_test_refill123', STRIPE_WEBHOOK_SECRET: 'whsec_test_refill_webhook_secret' },
    });
    try {
      const refused = await sendWebhook(cutOff, event);
      assert.equal(refused.status, 503, refused.text);
      assert.equal(refused.body.error.code, 'service_unavailable');
    } finally {
      await cutOff.close();
    }
    // Stripe's retry, to a healthy API, delivers it.
    const retried = await sendWebhook(pipeline.api, event);
    assert.equal(retried.status, 200);
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
  });
});
