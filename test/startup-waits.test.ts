// Start-up waits for its dependencies with bounded backoff and says what it waits for: the API started
// while PostgreSQL is still starting (SQLSTATE 57P03, "the database system is starting up") waits and
// then serves; with nothing to wait for in time, a process gives up with one line naming the
// dependency, instead of exiting at the first refused connection. Real processes, a PostgreSQL of the
// test's own that first answers as a starting server does.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../dev/ports.ts';
import { startLocalPostgres, type LocalPostgres } from '../dev/postgres.ts';
import { randomToken } from '../ids/ids.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { testTemporalAddress } from './support/environment.ts';
import { eventually } from './support/eventually.ts';
import { startRefillProcess, type RefillProcess } from './support/refill-processes.ts';

const adminToken = `startup-admin-${randomToken(12)}`;
const started: RefillProcess[] = [];
let scratch: string;
let database: TestDatabase;

before(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'refill-startup-'));
  database = await createTestDatabase(2);
});
after(async () => {
  for (const process of started) await process.stop();
  await database.close();
  await rm(scratch, { recursive: true, force: true });
});

function start(entry: 'api/main.ts' | 'worker/main.ts', environment: Record<string, string>): RefillProcess {
  const process = startRefillProcess(entry, { ADMIN_TOKEN: adminToken, LOG_LEVEL: 'info', TEMPORAL_TASK_QUEUE: `refill-startup-${randomToken(6)}`, ...environment });
  started.push(process);
  return process;
}

/** A PostgreSQL ErrorResponse message: FATAL, with the SQLSTATE and message given. */
function errorResponse(sqlState: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${sqlState}\0M${message}\0\0`, 'utf8');
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

/** Listens on `port` and answers every connection as a PostgreSQL that is still starting up. */
async function startingServer(port: number): Promise<{ connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.once('data', () => socket.end(errorResponse('57P03', 'the database system is starting up')));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

test('the API started while PostgreSQL is starting up (57P03) waits, says so, and serves once it is up', { timeout: 120_000 }, async () => {
  const postgresPort = await freePort();
  const apiPort = await freePort();
  const starting = await startingServer(postgresPort);
  let postgres: LocalPostgres | null = null;
  try {
    const api = start('api/main.ts', {
      DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${postgresPort}/postgres`,
      TEMPORAL_ADDRESS: testTemporalAddress(),
      PORT: String(apiPort),
    });
    const waiting = await api.waitForLine(/waiting for PostgreSQL at 127\.0\.0\.1:\d+/);
    assert.match(waiting, /57P03/);
    await eventually(() => (starting.connections() >= 2 ? true : undefined), { description: 'a second try' });
    assert.equal(api.exitStatus(), null, 'still waiting, not exited');
    await starting.close();
    postgres = await startLocalPostgres({ dataDirectory: path.join(scratch, 'postgres'), port: postgresPort, durable: false, log: () => {} });
    await api.waitForLine(/API listening/, 60_000);
    const health = await fetch(`http://127.0.0.1:${apiPort}/healthz`);
    assert.equal(health.status, 200);
    assert.ok(api.lines.some((line) => /PostgreSQL at 127\.0\.0\.1:\d+ is available/.test(line)));
  } finally {
    await starting.close().catch(() => {});
    await postgres?.stop();
  }
});

test('a process that cannot reach PostgreSQL in time gives up with one line naming it', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const api = start('api/main.ts', {
    DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    STARTUP_TIMEOUT_SECONDS: '2',
  });
  const exit = await api.process.exited;
  assert.equal(exit, 1);
  assert.match(api.lines.at(-1) ?? '', new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${port} did not become available within 2 s \\(STARTUP_TIMEOUT_SECONDS\\); last error: ECONNREFUSED`));
  assert.ok(api.lines.some((line) => line.includes('waiting for PostgreSQL')), 'it said what it waited for');
});

test('the worker waits for Temporal, saying so, and gives up in time with one line', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const worker = start('worker/main.ts', { DATABASE_URL: database.url, TEMPORAL_ADDRESS: `127.0.0.1:${port}`, STARTUP_TIMEOUT_SECONDS: '8' });
  const exit = await worker.process.exited;
  assert.equal(exit, 1);
  assert.ok(worker.lines.some((line) => line.includes(`waiting for Temporal at 127.0.0.1:${port}`)), worker.lines.join('\n'));
  assert.match(worker.lines.at(-1) ?? '', new RegExp(`^Temporal at 127\\.0\\.0\\.1:${port} did not become available within 8 s`));
});
