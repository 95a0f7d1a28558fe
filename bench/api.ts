// `npm run bench:api`: how close `POST /v1/consumptions` over HTTP comes to the ledger library it calls.
// The run starts its own durable PostgreSQL (fsync on, as in production) in a temporary folder, migrates
// it, creates funded accounts with their API keys, and starts the API twice as production starts it
// (`api/main.ts` from its bundle, as `npm start` runs it): once with API_PROCESSES=1 and once with API_PROCESSES=2, each on its
// own port. It then measures, for each workload (a random account of many per request; one hot account)
// and each number of concurrent clients (20, 100), one after another on the same database:
//   - in process: that many loops calling recordConsumptionBatched on a LedgerBatcher over a pool of
//     DATABASE_POOL_SIZE connections, configured as api/main.ts configures the API's;
//   - over HTTP, for each API: that many keep-alive clients (undici), each waiting for one answer at a time.
// and prints deductions/s of each, the ratio HTTP / in process, and the CPU each part used per deduction.
// The last line holds the ratios.
//
//   BENCH_PHASE_MS (default 5000): the length of each measurement; BENCH_ACCOUNTS (default 1000);
//   BENCH_API_CPU_PROFILE=<folder>: the API processes run with `node --cpu-prof` into that folder.
//   The machine's cores are shared by PostgreSQL, the API processes and this process (the load
//   generator and the in-process library), which the CPU lines show.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { createAccount } from '../db/accounts/create-account.ts';
import { closeSql, createSql, type Sql } from '../db/client.ts';
import { LedgerBatcher, maximumBatchesInFlight } from '../db/ledger/ledger-batcher.ts';
import { recordConsumptionBatched } from '../db/ledger/record-consumption.ts';
import { recordRecharge } from '../db/ledger/record-recharge.ts';
import { migrate } from '../db/migrate.ts';
import { freePort } from '../dev/ports.ts';
import { startLocalPostgres } from '../dev/postgres.ts';
import { ensureProcessBundles, processArguments } from '../dev/process-bundles.ts';
import { startProcess, waitUntil, type ManagedProcess } from '../dev/processes.ts';
import { repositoryRoot } from '../dev/tools.ts';
import { microsPerUnit } from '../domain/money.ts';
import { randomToken } from '../ids/ids.ts';

const phaseMilliseconds = Number(process.env.BENCH_PHASE_MS ?? 5_000);
const accountCount = Number(process.env.BENCH_ACCOUNTS ?? 1_000);
/** Each measurement starts after this much unmeasured load, so connections and JIT are warm. */
const warmUpMilliseconds = 1_000;
const clientCounts = [20, 100] as const;
const apiProcessCounts = [1, 2] as const;
/** The API's default pool (DATABASE_POOL_SIZE); the in-process library gets the same. */
const poolSize = 10;
const currency = 'USD';
const initialCreditMicros = 1_000_000n * microsPerUnit;
const deductionMicros = 10_000n; // 0.01
const startLimitMilliseconds = 120_000;
const adminToken = `bench-admin-${randomToken(16)}`;
const cpuProfileFolder = process.env.BENCH_API_CPU_PROFILE;
const cpuProfileArguments = cpuProfileFolder === undefined || cpuProfileFolder === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfileFolder}`];

interface Account {
  accountId: string;
  apiKey: string;
}

interface Workload {
  name: 'many' | 'hot';
  pick: () => Account;
}

interface Measurement {
  perSecond: number;
  /** CPU milliseconds per deduction, of this process, of the API's processes and of PostgreSQL. */
  benchCpu: number;
  apiCpu: number;
  postgresCpu: number;
}

/** Linux reports process CPU times in clock ticks of 1/100 s. */
const clockTicksPerSecond = 100;

interface ProcessStat {
  pid: string;
  parent: string;
  group: string;
  ticks: number;
}

/** Every process's CPU time so far (user and system, without children), from /proc. */
function processStats(): ProcessStat[] {
  const stats: ProcessStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      stats.push({ pid: entry, parent: fields[1]!, group: fields[2]!, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended while the folder was read.
    }
  }
  return stats;
}

/** CPU milliseconds so far of the processes in a group, and of a process with its children. */
function cpuOf(stats: ProcessStat[], group: string | null, parent: string | null): number {
  let ticks = 0;
  for (const stat of stats) {
    if ((group !== null && stat.group === group) || (parent !== null && (stat.parent === parent || stat.pid === parent))) ticks += stat.ticks;
  }
  return (ticks / clockTicksPerSecond) * 1_000;
}

interface CpuProbe {
  api: string | null;
  postmaster: string;
}

function cpuNow(probe: CpuProbe): { bench: number; api: number; postgres: number } {
  const stats = processStats();
  const usage = process.cpuUsage();
  return {
    bench: (usage.user + usage.system) / 1_000,
    api: probe.api === null ? 0 : cpuOf(stats, probe.api, null),
    postgres: cpuOf(stats, null, probe.postmaster),
  };
}

/** Runs `clients` loops, each awaiting one deduction at a time, warm-up first; any failure stops the run. */
async function measure(clients: number, probe: CpuProbe, deduct: () => Promise<void>): Promise<Measurement> {
  let counting = false;
  let completed = 0;
  let stopAt = performance.now() + warmUpMilliseconds + phaseMilliseconds;
  const failures: unknown[] = [];
  const loop = async () => {
    while (failures.length === 0 && performance.now() < stopAt) {
      try {
        await deduct();
        if (counting) completed += 1;
      } catch (error) {
        failures.push(error);
      }
    }
  };
  const loops = Promise.all(Array.from({ length: clients }, loop));
  await new Promise((resolve) => setTimeout(resolve, warmUpMilliseconds));
  const before = cpuNow(probe);
  const started = performance.now();
  counting = true;
  stopAt = started + phaseMilliseconds;
  await new Promise((resolve) => setTimeout(resolve, phaseMilliseconds));
  counting = false;
  const elapsedSeconds = (performance.now() - started) / 1_000;
  const after = cpuNow(probe);
  await loops;
  if (failures.length > 0) throw failures[0];
  return {
    perSecond: Math.round(completed / elapsedSeconds),
    benchCpu: (after.bench - before.bench) / completed,
    apiCpu: (after.api - before.api) / completed,
    postgresCpu: (after.postgres - before.postgres) / completed,
  };
}

/** A unique Idempotency-Key per deduction: a replay would measure a cheaper path. */
function sequence(prefix: string): () => string {
  let counter = 0;
  return () => {
    counter += 1;
    return `${prefix}${counter}`;
  };
}

async function createFundedAccounts(sql: Sql, count: number): Promise<Account[]> {
  const accounts: Account[] = [];
  const indexes = Array.from({ length: count }, (_, index) => index);
  const worker = async () => {
    for (let index = indexes.shift(); index !== undefined; index = indexes.shift()) {
      const account = await createAccount(sql, { email: `bench-${index}@example.com`, currency });
      await recordRecharge(sql, {
        orderId: `ord_bench_fund_${index}`,
        accountId: account.accountId,
        currency,
        payAmountMicros: initialCreditMicros,
        creditMicros: initialCreditMicros,
        description: 'benchmark funding',
      });
      accounts.push({ accountId: account.accountId, apiKey: account.apiKey });
    }
  };
  await Promise.all(Array.from({ length: poolSize }, worker));
  return accounts;
}

interface RunningApi {
  processes: number;
  baseUrl: string;
  process: ManagedProcess;
}

async function startApi(databaseUrl: string, processes: number): Promise<RunningApi> {
  const port = await freePort();
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: String(poolSize),
    // Usage and balances never need Temporal; nothing listens here, and the API starts without it.
    TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    ADMIN_TOKEN: adminToken,
    PORT: String(port),
    API_PROCESSES: String(processes),
    LOG_LEVEL: 'warn',
  };
  const lines: string[] = [];
  const api = startProcess({
    name: `api-${processes}`,
    command: process.execPath,
    args: [...cpuProfileArguments, ...processArguments('api/main.ts')],
    environment,
    cwd: repositoryRoot,
    onLine: (line) => lines.push(line),
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(`the API (API_PROCESSES=${processes})`, async () => (await fetch(`${baseUrl}/healthz`)).status === 200, {
      timeoutMilliseconds: startLimitMilliseconds,
      abort: api.exited,
    });
  } catch (error) {
    console.error(lines.slice(-20).join('\n'));
    throw error;
  }
  return { processes, baseUrl, process: api };
}

/** One deduction through the API; anything but 201 stops the run with the answer. */
function httpDeduction(pool: Pool, workload: Workload, nextKey: () => string): () => Promise<void> {
  const body = JSON.stringify({ amount: '0.01', description: 'benchmark usage' });
  return async () => {
    const account = workload.pick();
    const response = await pool.request({
      method: 'POST',
      path: '/v1/consumptions',
      headers: {
        authorization: `Bearer ${account.apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': nextKey(),
      },
      body,
    });
    const text = await response.body.text();
    if (response.statusCode !== 201) throw new Error(`POST /v1/consumptions answered ${response.statusCode}: ${text.slice(0, 300)}`);
  };
}

function libraryDeduction(batcher: LedgerBatcher, workload: Workload, nextKey: () => string): () => Promise<void> {
  return async () => {
    const account = workload.pick();
    await recordConsumptionBatched(batcher, {
      accountId: account.accountId,
      currency,
      idempotencyKey: nextKey(),
      amountMicros: deductionMicros,
      description: 'benchmark usage',
      userReference: null,
      metadata: null,
    });
  };
}

function cpuLine(result: Measurement): string {
  const format = (milliseconds: number) => `${milliseconds.toFixed(3)} ms`;
  return `CPU per deduction: bench process ${format(result.benchCpu)}, API ${format(result.apiCpu)}, postgres ${format(result.postgresCpu)}`;
}

interface CaseResult {
  label: string;
  library: number;
  http: Map<number, number>;
}

async function main(): Promise<number> {
  const cpus = os.cpus();
  console.log(`machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}; PostgreSQL, the API and this load generator share the cores`);
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'refill-bench-api-'));
  const dataDirectory = path.join(scratch, 'postgres');
  const postgresLog: string[] = [];
  const stops: (() => Promise<void>)[] = [];
  try {
    const server = await startLocalPostgres({ dataDirectory, port: await freePort(), durable: true, log: (line) => postgresLog.push(line) });
    stops.push(async () => {
      await server.stop();
      await rm(scratch, { recursive: true, force: true });
    });
    const postmaster = readFileSync(path.join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]!.trim();
    const sql = createSql({ url: server.url, poolSize, applicationName: 'refill-bench' });
    stops.unshift(() => closeSql(sql));
    await migrate(sql);
    await ensureProcessBundles((line) => console.log(line));
    const setupStarted = performance.now();
    const accounts = await createFundedAccounts(sql, accountCount + 1);
    const hot = accounts.pop()!;
    console.log(`set-up: ${accountCount + 1} accounts created and funded in ${((performance.now() - setupStarted) / 1_000).toFixed(1)}s; a durable PostgreSQL (fsync on)`);

    const batcher = new LedgerBatcher(sql, { batchesInFlight: Math.max(1, Math.min(maximumBatchesInFlight, poolSize - 1)) });
    stops.unshift(() => batcher.close());
    const apis: RunningApi[] = [];
    for (const processes of apiProcessCounts) {
      const api = await startApi(server.url, processes);
      stops.unshift(() => api.process.stop());
      apis.push(api);
    }

    const workloads: Workload[] = [
      { name: 'many', pick: () => accounts[Math.floor(Math.random() * accounts.length)]! },
      { name: 'hot', pick: () => hot },
    ];
    const nextKey = sequence(`bench-${randomToken(6)}-`);
    const results: CaseResult[] = [];
    for (const workload of workloads) {
      for (const clients of clientCounts) {
        const label = `${workload.name === 'many' ? `${accountCount} accounts` : 'one hot account'}, ${clients} clients`;
        const library = await measure(clients, { api: null, postmaster }, libraryDeduction(batcher, workload, nextKey));
        console.log(`${label}, in process: ${library.perSecond} deductions/s; ${cpuLine(library)}`);
        const result: CaseResult = { label, library: library.perSecond, http: new Map() };
        for (const api of apis) {
          const pool = new Pool(api.baseUrl, { connections: clients, pipelining: 1 });
          try {
            const probe = { api: String(api.process.child.pid), postmaster };
            const http = await measure(clients, probe, httpDeduction(pool, workload, nextKey));
            result.http.set(api.processes, http.perSecond);
            console.log(`${label}, HTTP, API_PROCESSES=${api.processes}: ${http.perSecond} deductions/s, ${(http.perSecond / library.perSecond).toFixed(2)}× in process; ${cpuLine(http)}`);
          } finally {
            await pool.close();
          }
        }
        results.push(result);
      }
    }
    const summary = results.map((result) => {
      const ratios = apiProcessCounts.map((processes) => `${processes}p ${((result.http.get(processes) ?? 0) / result.library).toFixed(2)}`);
      return `${result.label.replace(`${accountCount} accounts`, 'many').replace('one hot account', 'hot').replace(' clients', '')}: ${ratios.join(' ')}`;
    });
    console.log(`api: HTTP/in-process (API_PROCESSES=1, 2) ${summary.join(' | ')}`);
    return 0;
  } catch (error) {
    if (postgresLog.length > 0) console.error(`postgres log (last lines):\n${postgresLog.slice(-20).join('\n')}`);
    throw error;
  } finally {
    for (const stop of stops) await stop().catch((error: unknown) => console.error(error));
  }
}

process.exitCode = await main();
