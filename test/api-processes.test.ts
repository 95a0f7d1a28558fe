// API_PROCESSES: several API processes behind one port (api/api-cluster.ts), as real processes. Each
// serves, one that dies is replaced, and SIGTERM to the primary alone stops every one of them cleanly.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePort } from '../dev/ports.ts';
import { testAdminToken } from './support/api.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { testTemporalAddress } from './support/environment.ts';
import { eventually } from './support/eventually.ts';
import { startRefillProcess } from './support/refill-processes.ts';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  await database.close();
});

/** The pids of the API processes that said they listen, from their JSON log lines. */
function listeningPids(lines: string[]): number[] {
  return lines.flatMap((line) => {
    if (!line.includes('API listening')) return [];
    const pid = (JSON.parse(line) as { pid?: unknown }).pid;
    return typeof pid === 'number' ? [pid] : [];
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('API_PROCESSES=2 serves from two processes on one port, replaces one that dies, and stops all on SIGTERM', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const api = startRefillProcess('api/main.ts', {
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    ADMIN_TOKEN: testAdminToken,
    PORT: String(port),
    API_PROCESSES: '2',
    DATABASE_POOL_SIZE: '2',
  });
  try {
    const pids = await eventually(() => (new Set(listeningPids(api.lines)).size === 2 ? listeningPids(api.lines) : undefined), {
      description: 'two API processes listening',
      timeoutMilliseconds: 90_000,
    });
    assert.ok(!pids.includes(api.process.child.pid!), 'the primary serves nothing itself');
    const account = await fetch(`http://127.0.0.1:${port}/admin/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testAdminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'cluster@example.com', currency: 'USD' }),
    });
    assert.equal(account.status, 201);
    const { api_key: apiKey } = (await account.json()) as { api_key: string };
    for (let index = 0; index < 10; index += 1) {
      const balance = await fetch(`http://127.0.0.1:${port}/v1/balance`, { headers: { authorization: `Bearer ${apiKey}` } });
      assert.equal(balance.status, 200);
    }

    process.kill(pids[0]!, 'SIGKILL');
    const replacement = await eventually(() => listeningPids(api.lines).find((pid) => !pids.includes(pid)), {
      description: 'a replacement API process listening',
      timeoutMilliseconds: 90_000,
    });
    assert.ok(isAlive(replacement));

    process.kill(api.process.child.pid!, 'SIGTERM');
    const exit = await api.process.exited;
    assert.equal(exit, 0, api.lines.slice(-5).join('\n'));
    await eventually(() => ([pids[1]!, replacement].every((pid) => !isAlive(pid)) ? true : undefined), { description: 'every API process gone' });
  } finally {
    await api.stop();
  }
});
