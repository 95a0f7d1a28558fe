// Payments that reach an order after its workflow closed: recorded once as payment exceptions, listed
// for ops, and resolved once (credit the locked quote, refund at the provider, or dismiss), with the
// operator recorded. Real API, worker, Temporal, Postgres and stripe-mock.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkLedgerInvariants } from '../db/ledger/check-invariants.ts';
import { getOrderRow } from '../db/orders/get-order.ts';
import { orderWorkflowId } from '../domain/orders.ts';
import { paymentExceptionIdFor } from '../domain/payment-exceptions.ts';
import { randomToken } from '../ids/ids.ts';
import { createTestAccount, testAdminToken } from './support/api.ts';
import { eventually } from './support/eventually.ts';
import { testOperatorToken } from './support/operators.ts';
import { checkoutEventFor, sendWebhook, startTestPipeline, type OrderJson, type TestPipeline } from './support/pipeline.ts';

let pipeline: TestPipeline;
before(async () => {
  pipeline = await startTestPipeline();
});
after(async () => {
  await pipeline.close();
});

const admin = (operator = 'ops-alice') => ({ token: testOperatorToken(operator), headers: { 'x-operator': operator } });

/** A paid order event that arrives after the customer cancelled the order and its workflow closed. */
async function latePayment(apiKey: string) {
  const created = await pipeline.api.request('POST', '/v1/topups', {
    token: apiKey,
    idempotencyKey: randomToken(12),
    body: { amount: '20.00', payment_method: 'stripe' },
  });
  assert.equal(created.status, 201, created.text);
  const order = created.body as OrderJson;
  const row = await getOrderRow(pipeline.database.sql, order.id, null);
  const event = checkoutEventFor(order, 'checkout.session.completed', { sessionId: row!.checkout_session_id! });
  assert.equal((await pipeline.api.request('POST', `/v1/topups/${order.id}/cancel`, { token: apiKey })).status, 200);
  await pipeline.api.temporalClient.workflow.getHandle(orderWorkflowId(order.id)).result();
  const delivered = await sendWebhook(pipeline.api, event);
  assert.equal(delivered.status, 200, delivered.text);
  assert.equal(delivered.body.outcome, 'payment_exception');
  const id = paymentExceptionIdFor(event.id);
  const exception = await eventually(
    async () => {
      const response = await pipeline.api.request('GET', `/admin/payment-exceptions/${id}`, { token: testAdminToken });
      return response.status === 200 ? response.body : undefined;
    },
    { description: `payment exception ${id}` },
  );
  return { order, event, exception };
}

async function balanceOf(apiKey: string): Promise<string> {
  return (await pipeline.api.request('GET', '/v1/balance', { token: apiKey })).body.balance;
}

describe('a payment after its order closed', () => {
  test('is recorded once, however often it is delivered, and listed for ops oldest first', async () => {
    const customer = await createTestAccount(pipeline.api, 'USD');
    const { order, event, exception } = await latePayment(customer.apiKey);
    assert.equal(exception.status, 'open');
    assert.equal(exception.order_id, order.id);
    assert.equal(exception.account_id, customer.accountId);
    assert.equal(exception.provider_event_id, event.id);
    assert.equal(exception.amount_minor_units, '2000');
    assert.equal(exception.decision, null);
    for (let delivery = 0; delivery < 3; delivery += 1) {
      assert.equal((await sendWebhook(pipeline.api, event)).body.outcome, 'payment_exception');
    }
    const [count] = await pipeline.database.sql<{ count: number }[]>`
      select count(*)::int as count from payment_exceptions where order_id = ${order.id}`;
    assert.equal(count?.count, 1);
    const open = await pipeline.api.request('GET', '/admin/payment-exceptions?status=open&limit=100', { token: testAdminToken });
    assert.equal(open.status, 200);
    assert.ok(open.body.data.some((item: { id: string }) => item.id === exception.id));
    assert.equal((await balanceOf(customer.apiKey)), '0.000000');
    // The closed order is not edited.
    const closed = await pipeline.api.request('GET', `/v1/topups/${order.id}`, { token: customer.apiKey });
    assert.equal(closed.body.status, 'cancelled');
    assert.equal(closed.body.needs_review, false);
  });

  test('is credited once with the locked quote; the same decision again returns it, another is refused', async () => {
    const customer = await createTestAccount(pipeline.api, 'USD');
    const { order, exception } = await latePayment(customer.apiKey);
    const decision = { decision: 'credit', reason: 'the customer paid after cancelling' };
    const [first, second] = await Promise.all([
      pipeline.api.request('POST', `/admin/payment-exceptions/${exception.id}/resolve`, { ...admin(), body: decision }),
      pipeline.api.request('POST', `/admin/payment-exceptions/${exception.id}/resolve`, { ...admin(), body: decision }),
    ]);
    for (const response of [first, second]) {
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.status, 'resolved');
      assert.equal(response.body.decision, 'credit');
      assert.equal(response.body.decided_by, 'ops-alice');
      assert.notEqual(response.body.transfer_id, null);
    }
    assert.equal(await balanceOf(customer.apiKey), '20.000000');
    const again = await pipeline.api.request('POST', `/admin/payment-exceptions/${exception.id}/resolve`, { ...admin('ops-bob'), body: decision });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.decided_by, 'ops-alice');
    const other = await pipeline.api.request('POST', `/admin/payment-exceptions/${exception.id}/resolve`, {
      ...admin(),
      body: { decision: 'dismiss', reason: 'changed my mind' },
    });
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'payment_exception_already_resolved');
    assert.equal(await balanceOf(customer.apiKey), '20.000000');
    const [credits] = await pipeline.database.sql<{ count: number }[]>`
      select count(*)::int as count from transfers where order_id = ${order.id} and flow_type = 'recharge'`;
    assert.equal(credits?.count, 1);
    assert.deepEqual(await checkLedgerInvariants(pipeline.database.sql), []);
  });

  test('is refunded at the provider once, or dismissed, and neither credits anything', async () => {
    const customer = await createTestAccount(pipeline.api, 'USD');
    const refund = await latePayment(customer.apiKey);
    const refunded = await pipeline.api.request('POST', `/admin/payment-exceptions/${refund.exception.id}/resolve`, {
      ...admin(),
      body: { decision: 'refund', reason: 'the customer asked for the money back' },
    });
    assert.equal(refunded.status, 200, refunded.text);
    assert.equal(refunded.body.decision, 'refund');
    assert.match(String(refunded.body.refund_id), /^re_/);
    assert.equal(refunded.body.transfer_id, null);
    const dismiss = await latePayment(customer.apiKey);
    const dismissed = await pipeline.api.request('POST', `/admin/payment-exceptions/${dismiss.exception.id}/resolve`, {
      ...admin(),
      body: { decision: 'dismiss', reason: 'refunded by hand in the Stripe dashboard' },
    });
    assert.equal(dismissed.status, 200, dismissed.text);
    assert.equal(dismissed.body.decision, 'dismiss');
    assert.equal(await balanceOf(customer.apiKey), '0.000000');
    const resolved = await pipeline.api.request('GET', '/admin/payment-exceptions?status=resolved&limit=100', { token: testAdminToken });
    const ids = resolved.body.data.map((item: { id: string }) => item.id);
    assert.ok(ids.includes(refund.exception.id) && ids.includes(dismiss.exception.id));
  });

  test('bad requests are precise 4xx and change nothing', async () => {
    const customer = await createTestAccount(pipeline.api, 'USD');
    const { exception } = await latePayment(customer.apiKey);
    const cases: [string, unknown, number, string][] = [
      [`/admin/payment-exceptions/${exception.id}/resolve`, { decision: 'keep', reason: 'x' }, 422, 'invalid_field'],
      [`/admin/payment-exceptions/${exception.id}/resolve`, { decision: 'credit' }, 422, 'missing_field'],
      [`/admin/payment-exceptions/${exception.id}/resolve`, { decision: 'credit', reason: 'x', extra: 1 }, 400, 'invalid_request'],
      ['/admin/payment-exceptions/pex_nothing_here/resolve', { decision: 'credit', reason: 'x' }, 404, 'not_found'],
      ['/admin/payment-exceptions/not-an-id/resolve', { decision: 'credit', reason: 'x' }, 404, 'not_found'],
    ];
    for (const [route, body, status, code] of cases) {
      const response = await pipeline.api.request('POST', route, { ...admin(), body });
      assert.equal(response.status, status, `${route} ${JSON.stringify(body)}: ${response.text}`);
      assert.equal(response.body.error.code, code, JSON.stringify(body));
    }
    const customerKey = await pipeline.api.request('GET', '/admin/payment-exceptions', { token: customer.apiKey });
    assert.equal(customerKey.status, 403);
    const badStatus = await pipeline.api.request('GET', '/admin/payment-exceptions?status=closed', { token: testAdminToken });
    assert.equal(badStatus.status, 400);
    const still = await pipeline.api.request('GET', `/admin/payment-exceptions/${exception.id}`, { token: testAdminToken });
    assert.equal(still.body.status, 'open');
  });
});
