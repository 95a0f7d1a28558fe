// PostgreSQL killed under load (SIGKILL to the server and its backends, as a crash or an OOM kill
// leaves it) never kills the worker or the API: postgres 3.4.9 throws an uncaught TypeError from a
// deferred write on a connection that has just closed (porsager/postgres#1208), patched in
// patches/postgres+3.4.9.patch until a release has the guard. Both processes stay up, answer 503 while
// the database is away, and carry on when it is back: a new order is created, paid and credited.
// Real processes (node --import tsx worker/main.ts, api/main.ts), a PostgreSQL of this test's own,
// the shared Temporal dev server and stripe-mock.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Stripe from 'stripe';
import { buildCheckoutEvent } from '../api/webhooks/stripe-event-format.ts';
import { closeSql, createSql } from '../db/client.ts';
import { startMailInbox, type MailInbox } from '../dev/mail-inbox.ts';
import { freePort } from '../dev/ports.ts';
import { startLocalPostgres, type LocalPostgres } from '../dev/postgres.ts';
import { repositoryRoot } from '../dev/tools.ts';
import { randomToken } from '../ids/ids.ts';
import { testStripeApiBase, testTemporalAddress } from './support/environment.ts';
import { eventually } from './support/eventually.ts';
import { startRefillProcess, type RefillProcess } from './support/refill-processes.ts';

const adminToken = `outage-admin-${randomToken(12)}`;
const webhookSecret = `whsec_outage_${randomToken(12)}`;
const signer = new Stripe('sk_test_signer').webhooks;
/** Concurrent clients of the load, each sending one request at a time. */
const loadClients = 8;
/** How long the load runs before PostgreSQL is killed, and how long it stays dead. */
const loadBeforeKillMilliseconds = 3_000;
const outageMilliseconds = 3_000;

let scratch: string;
let postgresPort: number;
let postgres: LocalPostgres;
let inbox: MailInbox;
let api: RefillProcess;
let worker: RefillProcess;
let baseUrl: string;

function startPostgres(): Promise<LocalPostgres> {
  return startLocalPostgres({ dataDirectory: path.join(scratch, 'postgres'), port: postgresPort, durable: false, log: () => {} });
}

before(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'refill-outage-'));
  postgresPort = await freePort();
  postgres = await startPostgres();
  inbox = await startMailInbox({ smtpPort: 0, webPort: null, storageDirectory: null });
  const apiPort = await freePort();
  baseUrl = `http://127.0.0.1:${apiPort}`;
  const environment = {
    DATABASE_URL: postgres.url,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: `refill-outage-${randomToken(8)}`,
    ADMIN_TOKEN: adminToken,
    STRIPE_SECRET_KEY: 'sk_test_outage',
    STRIPE_WEBHOOK_SECRET: webhookSecret,
    STRIPE_API_BASE: testStripeApiBase(),
    SMTP_URL: inbox.smtpUrl,
    PORT: String(apiPort),
    LOG_LEVEL: 'info',
    // The load comes from one key and one address: the API's rate limits are not what is measured.
    RATE_LIMIT_ORDERS_PER_KEY: '0',
    RATE_LIMIT_WEBHOOKS_PER_ADDRESS: '0',
  };
  api = startRefillProcess('api/main.ts', environment);
  worker = startRefillProcess('worker/main.ts', environment);
  await api.waitForLine(/API listening/);
  await worker.waitForLine(/"state":"RUNNING"/, 120_000);
});

after(async () => {
  await api?.stop();
  await worker?.stop();
  await inbox?.stop();
  await postgres?.stop().catch(() => {});
  await rm(scratch, { recursive: true, force: true });
});

async function call(method: string, route: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

async function pay(order: { id: string; pay_amount: string }, sessionId: string) {
  const payload = JSON.stringify(
    buildCheckoutEvent('checkout.session.completed', {
      sessionId,
      orderId: order.id,
      status: 'complete',
      paymentStatus: 'paid',
      amountTotal: Math.round(Number(order.pay_amount) * 100),
      currency: 'usd',
      paymentIntentId: `pi_outage_${order.id.slice(4)}`,
    }),
  );
  const response = await fetch(`${baseUrl}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signer.generateTestHeaderString({ payload, secret: webhookSecret }) },
    body: payload,
  });
  return response.status;
}

/** Creates orders, records consumptions and reads balances until `stop` is set; returns every status seen. */
async function load(apiKey: string, stop: { now: boolean }): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  const seen = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
  await Promise.all(
    Array.from({ length: loadClients }, async (_, client) => {
      for (let round = 0; !stop.now; round += 1) {
        const key = `load-${client}-${round}`;
        const requests = [
          call('POST', '/v1/topups', apiKey, { amount: '20.00', payment_method: 'stripe' }, { 'idempotency-key': key }),
          call('POST', '/v1/consumptions', apiKey, { amount: '0.01', description: 'load' }, { 'idempotency-key': `use-${key}` }),
          call('GET', '/v1/balance', apiKey),
        ];
        for (const result of await Promise.allSettled(requests)) seen(result.status === 'fulfilled' ? result.value.status : 0);
      }
    }),
  );
  return statuses;
}

test('a transaction whose backend dies rejects with CONNECTION_CLOSED and the process goes on (the driver patch)', async () => {
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/terminated-transaction.ts', postgres.url], {
    cwd: repositoryRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.doesNotMatch(child.stderr, /Cannot read properties of null/);
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(JSON.parse(child.stdout.trim()), { rejection: 'CONNECTION_CLOSED', queryAfter: 1 });
});

test('the worker and the API stay up while PostgreSQL is killed under load, and work again once it is back', { timeout: 240_000 }, async () => {
  const account = await call('POST', '/admin/accounts', adminToken, { email: 'outage@example.com', currency: 'USD' });
  assert.equal(account.status, 201);
  const apiKey = account.body.api_key as string;

  const stop = { now: false };
  const running = load(apiKey, stop);
  await new Promise((resolve) => setTimeout(resolve, loadBeforeKillMilliseconds));
  await postgres.kill();
  await new Promise((resolve) => setTimeout(resolve, outageMilliseconds));
  assert.equal(api.exitStatus(), null, `the API died: ${api.lines.slice(-3).join(' | ')}`);
  assert.equal(worker.exitStatus(), null, `the worker died: ${worker.lines.slice(-3).join(' | ')}`);
  postgres = await eventually(() => startPostgres(), { description: 'PostgreSQL restarted on its data', timeoutMilliseconds: 60_000, intervalMilliseconds: 500 });
  await new Promise((resolve) => setTimeout(resolve, loadBeforeKillMilliseconds));
  stop.now = true;
  const statuses = await running;

  assert.equal(api.exitStatus(), null, `the API died: ${api.lines.slice(-3).join(' | ')}`);
  assert.equal(worker.exitStatus(), null, `the worker died: ${worker.lines.slice(-3).join(' | ')}`);
  const uncaught = [...api.lines, ...worker.lines].filter((line) => /Cannot read properties of null|uncaught/i.test(line));
  assert.deepEqual(uncaught, []);
  assert.ok((statuses.get(503) ?? 0) > 0, `the outage was seen as 503: ${JSON.stringify([...statuses])}`);
  const unexpected = [...statuses.keys()].filter((status) => ![200, 201, 402, 503].includes(status));
  assert.deepEqual(unexpected, [], `statuses seen: ${JSON.stringify([...statuses])}`);

  // Recovered: a new order is created, paid and credited by the same worker process.
  const created = await eventually(
    async () => {
      const response = await call('POST', '/v1/topups', apiKey, { amount: '20.00', payment_method: 'stripe' }, { 'idempotency-key': `after-${randomToken(6)}` });
      return response.status === 201 ? response.body : undefined;
    },
    { description: 'an order created after the outage', timeoutMilliseconds: 60_000, intervalMilliseconds: 500 },
  );
  const sessionId = await checkoutSessionOf(created.id);
  await eventually(async () => ((await pay(created, sessionId)) === 200 ? true : undefined), {
    description: 'the payment webhook accepted',
    timeoutMilliseconds: 30_000,
  });
  await eventually(
    async () => {
      const order = await call('GET', `/v1/topups/${created.id}`, apiKey);
      return order.body?.status === 'succeeded' ? order.body : undefined;
    },
    { description: 'the order credited after the outage', timeoutMilliseconds: 60_000 },
  );
});

/** stripe-mock gives every session the same id; the order's row holds the one its workflow recorded. */
async function checkoutSessionOf(orderId: string): Promise<string> {
  const sql = createSql({ url: postgres.url, poolSize: 1, applicationName: 'refill-outage-test' });
  try {
    const [row] = await sql<{ checkout_session_id: string | null }[]>`select checkout_session_id from orders where id = ${orderId}`;
    assert.ok(row?.checkout_session_id, 'the order has its checkout session');
    return row.checkout_session_id;
  } finally {
    await closeSql(sql, 1);
  }
}
