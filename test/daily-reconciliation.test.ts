// The daily reconciliation: a run over a day of sandbox payments finds a planted difference of each kind
// (paid but not credited, credited but not paid, amount differs), opens one payment exception each and
// stores a report line each, served at GET /admin/reconciliation-reports/:date; a re-run of the day opens
// no second exception; the daily schedule is created once from the configuration. Against the sandbox
// provider, the real Temporal dev server and Postgres.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { completeSandboxSession } from '../db/sandbox/sandbox-sessions.ts';
import { dailyReconciliationScheduleId, type DailyReconciliationResult } from '../domain/daily-reconciliation.ts';
import { reconciliationBatchSize } from '../domain/reconciliation.ts';
import { createLogger } from '../observability/logger.ts';
import { ensureDailyReconciliationSchedule } from '../worker/daily-reconciliation-schedule.ts';
import { createTestAccount, testAdminToken } from './support/api.ts';
import { eventually } from './support/eventually.ts';
import { createPendingOrder, sessionIdOf } from './support/orders.ts';
import { startTestPipeline, waitForOrder, type TestPipeline } from './support/pipeline.ts';

let pipeline: TestPipeline;
const logger = createLogger('daily-reconciliation-test', 'silent');

before(async () => {
  pipeline = await startTestPipeline({ sandbox: true, environment: { RECONCILIATION_INTERVAL_SECONDS: '3600', RECONCILIATION_DAILY_TIME: '03:30' } });
});
after(async () => {
  await pipeline.close();
});

/** Pays the order's sandbox session in Postgres, as the payment page would, without sending its event. */
async function payWithoutWebhook(orderId: string): Promise<string> {
  const sessionId = await sessionIdOf(pipeline.database.sql, orderId);
  assert.ok(await completeSandboxSession(pipeline.database.sql, sessionId, 'paid'), 'the session was open');
  return sessionId;
}

function runDay(date: string): Promise<DailyReconciliationResult> {
  return pipeline.api.temporalClient.workflow.execute('dailyReconciliationWorkflow', {
    taskQueue: pipeline.taskQueue,
    workflowId: `daily-reconciliation-test-${date}-${Date.now()}`,
    args: [{ date }],
  }) as Promise<DailyReconciliationResult>;
}

async function exceptionsOf(orderId: string) {
  return pipeline.database.sql<{ id: string; reason: string; provider_payment_id: string | null }[]>`
    select id, reason, provider_payment_id from payment_exceptions where order_id = ${orderId}`;
}

test('the daily schedule is created once, at the configured UTC time, and starts the daily workflow', async () => {
  const options = { client: pipeline.api.temporalClient, taskQueue: pipeline.taskQueue, config: pipeline.api.config.reconciliation, logger };
  const scheduleId = await ensureDailyReconciliationSchedule(options);
  try {
    assert.equal(scheduleId, dailyReconciliationScheduleId(pipeline.taskQueue));
    assert.equal(await ensureDailyReconciliationSchedule(options), scheduleId, 'a second start finds it');
    const description = await pipeline.api.temporalClient.schedule.getHandle(scheduleId).describe();
    const calendar = description.spec.calendars?.[0];
    assert.deepEqual([calendar?.hour, calendar?.minute], [[{ start: 3, end: 3, step: 1 }], [{ start: 30, end: 30, step: 1 }]]);
    assert.equal(description.action.type === 'startWorkflow' && description.action.workflowType, 'dailyReconciliationWorkflow');
  } finally {
    await pipeline.api.temporalClient.schedule.getHandle(scheduleId).delete();
  }
});

test('a daily run finds a planted difference of each kind, opens one exception each, and a re-run opens no second', async () => {
  const { sql } = pipeline.database;
  const account = await createTestAccount(pipeline.api, 'USD');
  const orders = [];
  for (let index = 0; index < 3; index += 1) orders.push(await createPendingOrder(pipeline.api, account.apiKey, { package_id: 'usd_100', payment_method: 'stripe' }));
  const [paidNotCredited, creditedNotPaid, amountDiffers] = orders as [(typeof orders)[0], (typeof orders)[0], (typeof orders)[0]];
  // Two orders are paid and credited (their missed webhooks delivered by the 5-minute reconciliation) ...
  const creditedSessions = [await payWithoutWebhook(creditedNotPaid.id), await payWithoutWebhook(amountDiffers.id)];
  await pipeline.api.temporalClient.workflow.execute('reconciliationWorkflow', {
    taskQueue: pipeline.taskQueue,
    workflowId: `reconciliation-before-daily-${Date.now()}`,
    args: [{ pendingAgeSeconds: 0, processingAgeSeconds: 0, limit: reconciliationBatchSize }],
  });
  for (const order of [creditedNotPaid, amountDiffers]) await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
  // ... then the provider's record of them is planted wrong: one has no payment, one another amount.
  await sql`update sandbox_checkout_sessions set status = 'open', payment_status = 'unpaid' where id = ${creditedSessions[0]!}`;
  await sql`update sandbox_checkout_sessions set amount_total_minor_units = amount_total_minor_units + 1 where id = ${creditedSessions[1]!}`;
  // The third is paid at the provider and never credited.
  await payWithoutWebhook(paidNotCredited.id);

  const date = new Date().toISOString().slice(0, 10);
  const first = await runDay(date);
  for (const order of orders) assert.ok(first.orderIds.includes(order.id), `the run names ${order.id}`);

  const report = await pipeline.api.request('GET', `/admin/reconciliation-reports/${date}`, { token: testAdminToken });
  assert.equal(report.status, 200);
  assert.equal(report.body.date, date);
  assert.match(report.body.out_of_scope, /Bank transfers, Airwallex/);
  const lineOf = (orderId: string) => report.body.lines.find((line: { order_id: string }) => line.order_id === orderId);
  assert.equal(lineOf(paidNotCredited.id)?.kind, 'paid_not_credited');
  assert.equal(lineOf(paidNotCredited.id)?.provider_amount_minor_units, '10000');
  assert.equal(lineOf(paidNotCredited.id)?.refill_amount_minor_units, null);
  assert.equal(lineOf(creditedNotPaid.id)?.kind, 'credited_not_paid');
  assert.equal(lineOf(creditedNotPaid.id)?.refill_amount_minor_units, '10000');
  assert.equal(lineOf(amountDiffers.id)?.kind, 'amount_differs');
  assert.deepEqual([lineOf(amountDiffers.id)?.provider_amount_minor_units, lineOf(amountDiffers.id)?.refill_amount_minor_units], ['10001', '10000']);

  // Each difference is one payment exception, recorded by its own workflow, named on its report line.
  for (const order of orders) {
    const rows = await eventually(async () => ((await exceptionsOf(order.id)).length > 0 ? exceptionsOf(order.id) : undefined), { description: `the exception of ${order.id}` });
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.id, lineOf(order.id)?.payment_exception_id);
    assert.match(rows[0]!.reason, /^daily reconciliation: /);
  }
  assert.equal((await exceptionsOf(creditedNotPaid.id))[0]!.provider_payment_id, null, 'nothing was paid, so nothing can be refunded');

  // A re-run of the day replaces its report and opens no second exception.
  const second = await runDay(date);
  assert.equal(second.differences, first.differences);
  for (const order of orders) assert.equal((await exceptionsOf(order.id)).length, 1, `one exception for ${order.id}`);
  const again = await pipeline.api.request('GET', `/admin/reconciliation-reports/${date}`, { token: testAdminToken });
  assert.equal(again.body.lines.length, report.body.lines.length);
  assert.notEqual(again.body.run_id, report.body.run_id);

  // Ops find the run by any order it found a difference for.
  const runs = await eventually(
    async () => {
      const found = [];
      for await (const run of pipeline.api.temporalClient.workflow.list({ query: `RefillReconciledOrderIds = '${amountDiffers.id}'` })) found.push(run.type);
      return found.includes('dailyReconciliationWorkflow') ? found : undefined;
    },
    { description: 'the daily run in visibility, by an order it found' },
  );
  assert.ok(runs.includes('dailyReconciliationWorkflow'));
});

test('the report route answers 404 for a day not run and 400 for a malformed date', async () => {
  const missing = await pipeline.api.request('GET', '/admin/reconciliation-reports/1999-01-01', { token: testAdminToken });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'reconciliation_report_not_found');
  for (const malformed of ['2026-02-30', '2026-1-01', 'yesterday']) {
    const answer = await pipeline.api.request('GET', `/admin/reconciliation-reports/${malformed}`, { token: testAdminToken });
    assert.equal(answer.status, 400, malformed);
    assert.equal(answer.body.error.code, 'invalid_report_date');
  }
});
