// What ops see: GET /metrics on the API counts requests by route template (never the raw path) and
// status, webhook events by type and outcome, ledger batches and the order's way to its credit (the worker
// runs in this process here, so its metrics share the registry); the worker process serves its own and
// the Temporal SDK's metrics on WORKER_METRICS_PORT; and the Temporal UI tells each order's story.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { freePort } from '../dev/ports.ts';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { orderWorkflowId } from '../domain/orders.ts';
import { randomToken } from '../ids/ids.ts';
import { createTestAccount, uniqueKey } from './support/api.ts';
import { testTemporalAddress } from './support/environment.ts';
import { eventually } from './support/eventually.ts';
import { createPendingOrder, paidEvent } from './support/orders.ts';
import { sendWebhook, startTestPipeline, waitForOrder, type TestPipeline } from './support/pipeline.ts';
import { startRefillProcess, type RefillProcess } from './support/refill-processes.ts';

let pipeline: TestPipeline;
const processes: RefillProcess[] = [];

before(async () => {
  pipeline = await startTestPipeline();
});
after(async () => {
  for (const started of processes) await started.stop();
  await pipeline.close();
});

/** The value of one series in Prometheus text, or 0 when it has not been recorded. */
function seriesValue(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelPart = line.slice(name.length).split('} ')[0] ?? '';
    if (wanted.every((pair) => labelPart.includes(pair))) return Number(line.split(' ').at(-1));
  }
  return 0;
}

test('the API\'s /metrics: requests by route template and status, webhook outcomes, ledger batches, the credit\'s latency', { timeout: 120_000 }, async () => {
  const { api } = pipeline;
  const { apiKey } = await createTestAccount(api, 'USD', `${uniqueKey('metrics')}@example.com`);
  const order = await createPendingOrder(api, apiKey);
  assert.equal((await sendWebhook(api, await paidEvent(pipeline.database.sql, order))).status, 200);
  await waitForOrder(api, apiKey, order.id, ['succeeded']);
  const refusedSignature = await api.request('POST', '/webhooks/stripe', { body: { id: 'evt_x' }, headers: { 'stripe-signature': 't=1,v1=00' } });
  assert.equal(refusedSignature.status, 400);
  const missingHold = `hold_${'0'.repeat(24)}`;
  assert.equal((await api.request('GET', `/v1/holds/${missingHold}`, { token: apiKey })).status, 404);
  const consumption = await api.request('POST', '/v1/consumptions', { token: apiKey, idempotencyKey: uniqueKey('usage'), body: { amount: '1.00', description: 'usage' } });
  assert.equal(consumption.status, 201, consumption.text);

  const scrape = await api.request('GET', '/metrics');
  assert.equal(scrape.status, 200);
  assert.match(scrape.headers.get('content-type') ?? '', /^text\/plain/);
  const text = scrape.text;
  assert.ok(seriesValue(text, 'refill_http_requests_total', { method: 'POST', route: '/v1/topups', status: '201' }) >= 1, 'order creation counted');
  assert.ok(seriesValue(text, 'refill_http_requests_total', { method: 'GET', route: '/v1/holds/{id}', status: '404' }) >= 1, 'by template');
  assert.ok(!text.includes(missingHold), 'a raw path is never a label');
  assert.ok(seriesValue(text, 'refill_http_request_duration_seconds_count', { method: 'POST', route: '/v1/consumptions', status: '201' }) >= 1);
  assert.ok(seriesValue(text, 'refill_webhook_events_total', { provider: 'stripe', type: 'checkout.session.completed', outcome: 'delivered' }) >= 1);
  assert.ok(seriesValue(text, 'refill_webhook_events_total', { type: 'unverified', outcome: 'invalid_signature' }) >= 1);
  assert.ok(seriesValue(text, 'refill_ledger_batch_transfers_count', {}) >= 1, 'the consumption\'s batch');
  assert.ok(seriesValue(text, 'refill_ledger_batch_commit_seconds_count', {}) >= 1);
  assert.match(text, /^refill_ledger_queue_transfers \d+$/m);
  assert.ok(seriesValue(text, 'refill_order_status_transitions_total', { payment_method: 'stripe', from: 'none', to: 'pending' }) >= 1);
  assert.ok(seriesValue(text, 'refill_order_status_transitions_total', { payment_method: 'stripe', from: 'pending', to: 'succeeded' }) >= 1);
  assert.ok(seriesValue(text, 'refill_payment_to_credit_seconds_count', { payment_method: 'stripe' }) >= 1);
  assert.match(text, /^# HELP refill_invoice_email_failures_total /m);
});

/** A process's /metrics page once it carries the SDK's series, which appear once its workers have polled. */
function metricsWithSdkSeries(port: number, owner: string): Promise<string> {
  return eventually(
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      const body = await response.text();
      if (response.status !== 200 || !/^temporal_\w+/m.test(body)) throw new Error(`${response.status}: ${body.slice(0, 200)}`);
      return body;
    },
    { description: `${owner}'s /metrics with the SDK's series`, timeoutMilliseconds: 60_000, intervalMilliseconds: 500 },
  );
}

test('the worker process serves its metrics and the Temporal SDK\'s on WORKER_METRICS_PORT', { timeout: 180_000 }, async () => {
  const metricsPort = await freePort();
  const worker = startRefillProcess('worker/main.ts', {
    DATABASE_URL: pipeline.database.url,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: `refill-metrics-${randomToken(6)}`,
    ADMIN_TOKEN: `metrics-admin-${randomToken(12)}`,
    WORKER_METRICS_PORT: String(metricsPort),
    LOG_LEVEL: 'info',
  });
  processes.push(worker);
  await worker.waitForLine(/worker running/, 150_000);
  const text = await metricsWithSdkSeries(metricsPort, 'the worker');
  assert.match(text, /^# HELP refill_order_status_transitions_total /m);
  assert.match(text, /^# HELP refill_payment_to_credit_seconds /m);
  assert.match(text, /^temporal_worker_task_slots_available\{/m);
  assert.match(text, /^process_cpu_user_seconds_total /m);
  assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status, 404);
});

test('the paperwork process runs at a lower CPU priority and serves its metrics on PAPERWORK_METRICS_PORT', { timeout: 180_000 }, async () => {
  const metricsPort = await freePort();
  const paperwork = startRefillProcess('worker/paperwork-main.ts', {
    DATABASE_URL: pipeline.database.url,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: `refill-metrics-${randomToken(6)}`,
    ADMIN_TOKEN: `metrics-admin-${randomToken(12)}`,
    WORKER_PAPERWORK: 'separate',
    PAPERWORK_METRICS_PORT: String(metricsPort),
    LOG_LEVEL: 'info',
  });
  processes.push(paperwork);
  await paperwork.waitForLine(/paperwork worker running/, 150_000);
  // Field 19 of /proc/<pid>/task/<tid>/stat is a thread's niceness: 10 for every thread of the process
  // (V8's and libuv's, started before it lowered its priority, and the Temporal runtime's, after).
  const tasks = `/proc/${paperwork.process.child.pid}/task`;
  const niceness = readdirSync(tasks).map((thread) => {
    const stat = readFileSync(`${tasks}/${thread}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
  assert.ok(niceness.length > 3, `${niceness.length} threads`);
  assert.deepEqual([...new Set(niceness)], [10]);
  const text = await metricsWithSdkSeries(metricsPort, 'the paperwork process');
  assert.match(text, /^# HELP refill_invoice_email_failures_total /m);
  assert.match(text, /^temporal_worker_task_slots_available\{/m);
});

test('the Temporal UI: each order carries a static summary and details, and current details that follow its state', { timeout: 120_000 }, async () => {
  const { api } = pipeline;
  const { apiKey, accountId } = await createTestAccount(api, 'USD', `${uniqueKey('ui')}@example.com`);
  const order = await createPendingOrder(api, apiKey, { amount: '100.00', payment_method: 'stripe' });
  const handle = api.temporalClient.workflow.getHandle(orderWorkflowId(order.id));
  const description = await handle.describe();
  assert.equal(await description.staticSummary(), `Top-up 100.00 USD, ${accountId}, stripe`);
  assert.match((await description.staticDetails()) ?? '', new RegExp(`\\*\\*Order\\*\\* ${order.id}`));
  const pending = await handle.query(workflowMetadataQuery);
  assert.match(pending.currentDetails ?? '', /\*\*Status\*\* pending/);

  assert.equal((await sendWebhook(api, await paidEvent(pipeline.database.sql, order))).status, 200);
  await waitForOrder(api, apiKey, order.id, ['succeeded']);
  const credited = await eventually(
    async () => {
      const details = (await handle.query(workflowMetadataQuery)).currentDetails ?? '';
      if (!/\*\*Status\*\* succeeded/.test(details)) throw new Error(details);
      return details;
    },
    { description: 'the current details to show the credit' },
  );
  assert.match(credited, /\*\*Credited\*\* \d{4}-/);
  assert.match(credited, /\*\*Last event\*\* (pending → succeeded|receipt saved|invoice RF-)/);
});
