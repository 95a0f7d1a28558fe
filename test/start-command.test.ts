// The start command: with DATABASE_URL, TEMPORAL_ADDRESS and SMTP_URL set it starts none of its own
// servers and brings the worker and API up against the given ones; a bad setting fails fast, naming it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { startMailInbox, type MailInbox } from '../dev/mail-inbox.ts';
import { freePort } from '../dev/ports.ts';
import { repositoryRoot } from '../dev/tools.ts';
import { randomToken } from '../ids/ids.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { testTemporalAddress } from './support/environment.ts';
import { eventually } from './support/eventually.ts';

let database: TestDatabase;
let inbox: MailInbox;

before(async () => {
  database = await createTestDatabase(2);
  inbox = await startMailInbox({ smtpPort: 0, webPort: null, storageDirectory: null });
});
after(async () => {
  await inbox.stop();
  await database.close();
});

interface StartedCommand {
  output: () => string;
  exited: Promise<number | null>;
  stop(): void;
}

function runStart(environment: Record<string, string>): StartedCommand {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: repositoryRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { output: () => output, exited, stop: () => child.kill('SIGINT') };
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
  const command = runStart({
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: `refill-start-${randomToken(8)}`,
    SMTP_URL: inbox.smtpUrl,
    PORT: String(port),
    ADMIN_TOKEN: 'start-command-admin-token',
    LOG_LEVEL: 'warn',
  });
  try {
    await waitForOutput(command, 'Refill is running', 90_000);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { postgres: 'up', temporal: 'up' } });
    const output = command.output();
    assert.match(output, /using the PostgreSQL at DATABASE_URL/);
    assert.match(output, /using the Temporal server at /);
    assert.match(output, /using the SMTP server at SMTP_URL/);
    assert.doesNotMatch(output, /starting (PostgreSQL|Temporal|mail inbox)/);
    assert.match(output, new RegExp(`API\\s+http://localhost:${port}`));
  } finally {
    command.stop();
  }
  assert.equal(await command.exited, 0);
  assert.match(command.output(), /stopped api/);
  assert.match(command.output(), /stopped worker/);
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
