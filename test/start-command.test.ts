// The start command: with DATABASE_URL, TEMPORAL_ADDRESS and SMTP_URL set it starts none of its own
// servers and brings the worker and API up against the given ones; a bad setting fails fast, naming it.
// It stops everything on SIGTERM to itself alone or Ctrl-C to its group, its children die with it when it
// is killed, and what a killed run left behind is stopped by the next one.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startMailInbox, type MailInbox } from '../dev/mail-inbox.ts';
import { freePort } from '../dev/ports.ts';
import { isRunning } from '../dev/run-files.ts';
import { repositoryRoot } from '../dev/tools.ts';
import { randomToken } from '../ids/ids.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { testTemporalAddress } from './support/environment.ts';
import { eventually } from './support/eventually.ts';

let database: TestDatabase;
let inbox: MailInbox;
/** This file's pid files, never the checkout's own .data/run (a developer's npm start may be using it). */
let runDirectory: string;

before(async () => {
  database = await createTestDatabase(2);
  inbox = await startMailInbox({ smtpPort: 0, webPort: null, storageDirectory: null });
  runDirectory = mkdtempSync(path.join(os.tmpdir(), 'refill-start-run-'));
});
after(async () => {
  await inbox.stop();
  await database.close();
  rmSync(runDirectory, { recursive: true, force: true });
});

interface StartedCommand {
  pid: number;
  output: () => string;
  exited: Promise<number | null>;
  stop(): void;
}

/** Started in a process group of its own, as a terminal starts a command. */
function runStart(environment: Record<string, string>): StartedCommand {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: repositoryRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, REFILL_RUN_DIRECTORY: runDirectory, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { pid: child.pid!, output: () => output, exited, stop: () => child.kill('SIGINT') };
}

/** The settings of a start that uses the test's servers, on a task queue of its own. */
function externalServers(port: number): Record<string, string> {
  return {
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: `refill-start-${randomToken(8)}`,
    SMTP_URL: inbox.smtpUrl,
    PORT: String(port),
    ADMIN_TOKEN: 'start-command-admin-token',
    LOG_LEVEL: 'warn',
  };
}

/** The pids of the worker and the API, once both pid files are written and both processes run. */
async function childPids(): Promise<{ api: number; worker: number; paperwork: number }> {
  return eventually(
    () => {
      const pids: Record<string, number> = {};
      for (const name of readdirSync(runDirectory)) pids[name.replace(/\.pid$/, '')] = Number(readFileSync(path.join(runDirectory, name), 'utf8').split('\n')[0]);
      const { api, worker, paperwork } = pids;
      if (api === undefined || worker === undefined || paperwork === undefined || ![api, worker, paperwork].every(isRunning)) throw new Error(`pid files: ${JSON.stringify(pids)}`);
      return { api, worker, paperwork };
    },
    { description: 'the pid files of the paperwork process, the worker and the API', timeoutMilliseconds: 30_000, intervalMilliseconds: 100 },
  );
}

/** SIGKILLs the watchdog of a start command (dev/run-files.ts), found by its command line. */
function killWatchdogOf(startPid: number): void {
  const found = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((pid) => {
    try {
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return commandLine[3] === 'refill-watchdog' && commandLine[4] === String(startPid);
    } catch {
      return false;
    }
  });
  assert.equal(found.length, 1, 'one watchdog per start');
  process.kill(Number(found[0]), 'SIGKILL');
}

async function gone(pids: number[], description: string): Promise<void> {
  await eventually(
    () => {
      const alive = pids.filter(isRunning);
      if (alive.length > 0) throw new Error(`still running: ${alive.join(', ')}`);
      return true;
    },
    { description, timeoutMilliseconds: 20_000, intervalMilliseconds: 100 },
  );
}

async function waitForOutput(command: StartedCommand, text: string, timeoutMilliseconds: number): Promise<void> {
  await eventually(
    () => {
      if (command.output().includes(text)) return true;
      throw new Error(`the output so far:\n${command.output()}`);
    },
    { description: `"${text}" in the start command's output`, timeoutMilliseconds, intervalMilliseconds: 200 },
  );
}

test('with DATABASE_URL, TEMPORAL_ADDRESS and SMTP_URL set, it uses them and starts none of its own', async () => {
  const port = await freePort();
  const command = runStart(externalServers(port));
  let stopping = false;
  try {
    await waitForOutput(command, 'Refill is running', 90_000);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), {
      status: 'ready',
      checks: { postgres: 'up', temporal: 'up', search_attributes: 'registered', worker: 'polling' },
    });
    const output = command.output();
    assert.match(output, /using the PostgreSQL at DATABASE_URL/);
    assert.match(output, /using the Temporal server at /);
    assert.match(output, /using the SMTP server at SMTP_URL/);
    assert.doesNotMatch(output, /starting (PostgreSQL|Temporal|mail inbox)/);
    assert.match(output, new RegExp(`API\\s+http://localhost:${port}`));

    // As a process manager stops it: SIGTERM to this process alone, not to its group.
    const pids = await childPids();
    const began = Date.now();
    process.kill(command.pid, 'SIGTERM');
    stopping = true;
    assert.equal(await command.exited, 0);
    const stopMilliseconds = Date.now() - began;
    assert.ok(stopMilliseconds < 5_000, `stopped in ${stopMilliseconds} ms`);
    await gone([pids.api, pids.worker, pids.paperwork], 'the paperwork process, the worker and the API to be gone');
    // In reverse order of start, each reported.
    assert.match(command.output(), /stopped paperwork[\s\S]*stopped worker[\s\S]*stopped api[\s\S]*stopped in \d+\.\d s/);
    assert.deepEqual(readdirSync(runDirectory), []);
  } finally {
    if (!stopping) command.stop();
  }
});

test('Ctrl-C (SIGINT to its whole process group) stops everything, each part reported, and it exits 0', async () => {
  const command = runStart(externalServers(await freePort()));
  const pids = await childPids();
  process.kill(-command.pid, 'SIGINT');
  assert.equal(await command.exited, 0, command.output());
  await gone([pids.api, pids.worker, pids.paperwork], 'the paperwork process, the worker and the API to be gone');
  assert.match(command.output(), /stopped paperwork[\s\S]*stopped worker[\s\S]*stopped api/);
});

test('killed outright, its children die with it; a leftover of a killed run is stopped by the next start', async () => {
  const first = runStart(externalServers(await freePort()));
  const firstPids = await childPids();
  process.kill(first.pid, 'SIGKILL');
  await gone([firstPids.api, firstPids.worker, firstPids.paperwork], 'the watchdog to stop the children of a killed start');

  // Now with the watchdog killed too (kill -9 of the whole group): the children are left running.
  const second = runStart(externalServers(await freePort()));
  const secondPids = await childPids();
  killWatchdogOf(second.pid);
  process.kill(-second.pid, 'SIGKILL');
  await second.exited;
  assert.ok(isRunning(secondPids.api) && isRunning(secondPids.worker) && isRunning(secondPids.paperwork), 'the leftovers run');

  const third = runStart(externalServers(await freePort()));
  try {
    await waitForOutput(third, 'left running by an earlier npm start that was killed', 30_000);
    await gone([secondPids.api, secondPids.worker, secondPids.paperwork], 'the leftovers to be stopped');
    assert.match(third.output(), new RegExp(`stopping (api|worker) \\(pid (${secondPids.api}|${secondPids.worker})\\)`));
  } finally {
    third.stop();
    await third.exited;
  }
});

test('a bad setting fails fast with one line naming it, before anything starts', async () => {
  const command = runStart({ PORT: 'not-a-port', DATABASE_URL: database.url, TEMPORAL_ADDRESS: testTemporalAddress() });
  assert.notEqual(await command.exited, 0);
  assert.match(command.output(), /Invalid configuration: PORT must be a whole number between 0 and 65535/);
  assert.doesNotMatch(command.output(), /starting|Refill is running/);

  const stripe = runStart({ STRIPE_SECRET_KEY: 'sk_test_abc', DATABASE_URL: database.url, TEMPORAL_ADDRESS: testTemporalAddress() });
  assert.notEqual(await stripe.exited, 0);
  assert.match(stripe.output(), /Invalid configuration: STRIPE_WEBHOOK_SECRET must be set when STRIPE_SECRET_KEY is set/);
});
