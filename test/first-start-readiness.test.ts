// A first start: the API listens before the worker has registered the search attributes on a new
// namespace. /readyz is 503 naming what is missing, an order created in that window is 503 with
// Retry-After (never a 500), and once the worker is up /readyz is 200 and the same request creates the
// order. Real processes, a namespace of the test's own that has no search attributes yet.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { freePort } from '../dev/ports.ts';
import { randomToken } from '../ids/ids.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { testTemporalAddress } from './support/environment.ts';
import { eventually } from './support/eventually.ts';
import { startRefillProcess, type RefillProcess } from './support/refill-processes.ts';

const adminToken = `first-start-admin-${randomToken(12)}`;
const namespace = `refill-first-start-${randomToken(6).toLowerCase()}`;
const started: RefillProcess[] = [];
let database: TestDatabase;

before(async () => {
  database = await createTestDatabase(2);
  const connection = await Connection.connect({ address: testTemporalAddress() });
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  await connection.close();
});
after(async () => {
  for (const process of started) await process.stop();
  await database.close();
});

test('before the worker registers the search attributes, /readyz is 503 and an order is 503 with Retry-After', { timeout: 180_000 }, async () => {
  const port = await freePort();
  const environment = {
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_TASK_QUEUE: `refill-first-start-${randomToken(6)}`,
    ADMIN_TOKEN: adminToken,
    PORT: String(port),
    LOG_LEVEL: 'warn',
  };
  const api = startRefillProcess('api/main.ts', environment);
  started.push(api);
  const base = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(`${base}/healthz`)).status === 200 || Promise.reject(new Error('not up')), {
    description: 'the API to listen',
    timeoutMilliseconds: 60_000,
  });

  const notReady = await fetch(`${base}/readyz`);
  assert.equal(notReady.status, 503);
  const notReadyBody = (await notReady.json()) as { checks: Record<string, string> };
  assert.equal(notReadyBody.checks.search_attributes, 'missing');
  assert.equal(notReadyBody.checks.worker, 'absent');

  const account = await fetch(`${base}/admin/accounts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'first-start@example.com', currency: 'USD' }),
  });
  assert.equal(account.status, 201);
  const { api_key: apiKey } = (await account.json()) as { api_key: string };
  const createOrder = () =>
    fetch(`${base}/v1/topups`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'idempotency-key': 'first-start-order' },
      body: JSON.stringify({ amount: '25.00', payment_method: 'stripe' }),
    });
  const early = await createOrder();
  assert.equal(early.status, 503, await early.clone().text());
  assert.ok(Number(early.headers.get('retry-after')) > 0, 'Retry-After');
  assert.equal(((await early.json()) as { error: { code: string } }).error.code, 'service_unavailable');

  started.push(startRefillProcess('worker/main.ts', environment));
  await eventually(
    async () => {
      const ready = await fetch(`${base}/readyz`);
      if (ready.status !== 200) throw new Error(await ready.text());
      return true;
    },
    { description: '/readyz to answer 200 once the worker polls', timeoutMilliseconds: 120_000, intervalMilliseconds: 250 },
  );
  const created = await createOrder();
  assert.equal(created.status, 201, await created.clone().text());
  assert.equal(((await created.json()) as { status: string }).status, 'pending');
});
