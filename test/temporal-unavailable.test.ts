// POST /v1/topups answers within a bounded time even when no worker polls (503 service_unavailable
// with Retry-After, and the same Idempotency-Key later returns the order), and every way Temporal says
// "not now" (a deadline, FAILED_PRECONDITION "workflow task in failed state", UNAVAILABLE) is a 503,
// never a 500. Real Temporal and Postgres for the first; the error handler with the client's own error
// classes for the second.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import express from 'express';
import { errorHandler } from '../api/error-handler.ts';
import { isTemporalUnavailable } from '../api/temporal-unavailable.ts';
import { randomToken } from '../ids/ids.ts';
import { createLogger } from '../observability/logger.ts';
import { createTestAccount, testAdminToken } from './support/api.ts';
import { startTestPipeline, type TestPipeline } from './support/pipeline.ts';

/** A request that has not been answered by then is hanging. */
const hangingMilliseconds = 30_000;

/** An error as @grpc/grpc-js makes it: a code, details and metadata. */
function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}

describe('POST /v1/topups with no worker polling', () => {
  let pipeline: TestPipeline;
  before(async () => {
    pipeline = await startTestPipeline({ environment: { ORDER_START_TIMEOUT_SECONDS: '2' } });
  });
  after(async () => {
    await pipeline.close();
  });

  // The timeout fails a request that hangs, as it did before the deadline.
  test('answers 503 service_unavailable with Retry-After, and the same key returns the order once a worker polls', { timeout: hangingMilliseconds }, async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const key = `no-worker-${randomToken(6)}`;
    const body = { amount: '20.00', payment_method: 'stripe' };
    await pipeline.stopWorker();
    let unavailable;
    try {
      unavailable = await pipeline.api.request('POST', '/v1/topups', { token: account.apiKey, idempotencyKey: key, body });
    } finally {
      await pipeline.startWorker();
    }
    assert.equal(unavailable.status, 503, unavailable.text);
    assert.equal(unavailable.body.error.code, 'service_unavailable');
    assert.match(unavailable.headers.get('retry-after') ?? '', /^\d+$/);

    const retried = await pipeline.api.request('POST', '/v1/topups', { token: account.apiKey, idempotencyKey: key, body });
    assert.ok(retried.status === 200 || retried.status === 201, retried.text);
    assert.equal(retried.body.status, 'pending');
    assert.ok(retried.body.checkout_url, 'the order can be paid');
    const listed = await pipeline.api.request('GET', '/v1/topups', { token: account.apiKey });
    assert.deepEqual(listed.body.data.map((order: { id: string }) => order.id), [retried.body.id], 'one order for the key');
  });

  test('an ops action and a customer cancel with no worker polling answer 503, and go through once one polls', { timeout: hangingMilliseconds * 2 }, async () => {
    const customer = await createTestAccount(pipeline.api, 'CNY', 'no-worker-bank@example.com');
    const remitter = { remitter_name: 'Li Lei', bank_name: 'ICBC Beijing', agreement_accepted: true };
    const created = await pipeline.api.request('POST', '/v1/topups', {
      token: customer.apiKey,
      idempotencyKey: `no-worker-bank-${randomToken(6)}`,
      body: { package_id: 'cny_100', payment_method: 'bank_transfer', bank_transfer: remitter },
    });
    assert.equal(created.status, 201, created.text);
    const usd = await createTestAccount(pipeline.api, 'USD');
    const stripeOrder = await pipeline.api.request('POST', '/v1/topups', {
      token: usd.apiKey,
      idempotencyKey: `no-worker-cancel-${randomToken(6)}`,
      body: { amount: '20.00', payment_method: 'stripe' },
    });
    assert.equal(stripeOrder.status, 201, stripeOrder.text);
    await pipeline.stopWorker();
    let review;
    let cancel;
    try {
      [review, cancel] = await Promise.all([
        pipeline.api.request('POST', `/admin/topups/${created.body.id}/start-review`, { token: testAdminToken }),
        pipeline.api.request('POST', `/v1/topups/${stripeOrder.body.id}/cancel`, { token: usd.apiKey }),
      ]);
    } finally {
      await pipeline.startWorker();
    }
    for (const response of [review, cancel]) {
      assert.equal(response.status, 503, response.text);
      assert.equal(response.body.error.code, 'service_unavailable');
      assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
    }
    const reviewed = await pipeline.api.request('POST', `/admin/topups/${created.body.id}/start-review`, { token: testAdminToken });
    assert.equal(reviewed.status, 200, reviewed.text);
    assert.equal(reviewed.body.status, 'processing');
  });
});

describe('Temporal failures that mean "not now"', () => {
  const cases: [string, unknown][] = [
    ['an update past its deadline', new WorkflowUpdateRPCTimeoutOrCancelledError('Workflow update call timeout or cancelled', { cause: grpcError(4, 'deadline exceeded') })],
    ['FAILED_PRECONDITION: workflow task in failed state', grpcError(9, 'Workflow task in failed state')],
    ['UNAVAILABLE inside a ServiceError', new ServiceError('Update-With-Start failed', { cause: grpcError(14, 'connection refused') })],
    ['RESOURCE_EXHAUSTED', grpcError(8, 'namespace rate limit exceeded')],
  ];

  let server: ReturnType<express.Express['listen']>;
  let baseUrl: string;
  before(async () => {
    const app = express();
    for (const [index, [, error]] of cases.entries()) app.get(`/case/${index}`, () => Promise.reject(error));
    app.get('/invalid-argument', () => Promise.reject(grpcError(3, 'invalid argument')));
    app.use(errorHandler(createLogger('refill-temporal-unavailable-test', 'silent')));
    server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  for (const [index, [name, error]] of cases.entries()) {
    test(`${name} is 503 service_unavailable with Retry-After`, async () => {
      assert.equal(isTemporalUnavailable(error), true);
      const response = await fetch(`${baseUrl}/case/${index}`);
      assert.equal(response.status, 503);
      assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'service_unavailable');
    });
  }

  test('a call Temporal refused as malformed is a bug (500), not an outage', async () => {
    assert.equal(isTemporalUnavailable(grpcError(3, 'invalid argument')), false);
    const response = await fetch(`${baseUrl}/invalid-argument`);
    assert.equal(response.status, 500);
    assert.equal(response.headers.get('retry-after'), null);
  });
});
