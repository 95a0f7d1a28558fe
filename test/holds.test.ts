// Holds for in-flight usage, on the real Express app and Postgres: reserve, extend, capture, void and
// expire, with the balance's held and available; duplicates and races on one hot account; expiry that
// survives the crash of the process that made the hold; and the ledger's invariants after each.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkLedgerInvariants } from '../db/ledger/check-invariants.ts';
import { freePort } from '../dev/ports.ts';
import { microsFromDecimal } from '../domain/money.ts';
import { randomToken } from '../ids/ids.ts';
import { createTestAccount, startTestApi, testAdminToken, uniqueKey, type TestApi, type TestResponse } from './support/api.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { testTemporalAddress } from './support/environment.ts';
import { eventually } from './support/eventually.ts';
import { fundAccountDirectly } from './support/ledger.ts';
import { testAdminTokensVariable } from './support/operators.ts';
import { startRefillProcess } from './support/refill-processes.ts';

let database: TestDatabase;
let api: TestApi;

before(async () => {
  database = await createTestDatabase(20);
  // No hold sweeper runs in this process: expiry below is the reads' and the restarted API's.
  api = await startTestApi({ sql: database.sql, databaseUrl: database.url });
});
after(async () => {
  await api.close();
  await database.close();
});

interface Customer {
  accountId: string;
  apiKey: string;
}

async function fundedCustomer(credit: string): Promise<Customer> {
  const customer = await createTestAccount(api, 'USD');
  await fundAccountDirectly(database.sql, customer.accountId, 'USD', microsFromDecimal(Number(credit).toFixed(6)));
  return customer;
}

function call(customer: Customer, method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<TestResponse> {
  return api.request(method, path, { token: customer.apiKey, body, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) });
}

async function hold(customer: Customer, amount: string, extra: Record<string, unknown> = {}): Promise<TestResponse> {
  return call(customer, 'POST', '/v1/holds', { amount, description: 'llm stream', ...extra }, uniqueKey('hold'));
}

async function balance(customer: Customer): Promise<{ balance: string; held: string; available: string }> {
  const response = await call(customer, 'GET', '/v1/balance');
  assert.equal(response.status, 200, response.text);
  return { balance: response.body.balance, held: response.body.held, available: response.body.available };
}

async function assertInvariants(): Promise<void> {
  assert.deepEqual(await checkLedgerInvariants(database.sql), []);
}

test('a hold reserves, a smaller capture consumes that much as a consume flow linked to the hold, and the rest is released', async () => {
  const customer = await fundedCustomer('10');
  const created = await hold(customer, '4', { user: 'alice', metadata: { call: 'c1' } });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.status, 'active');
  assert.equal(created.body.captured_amount, null);
  assert.equal(created.body.user, 'alice');
  assert.ok(Date.parse(created.body.expires_at) - Date.parse(created.body.created_at) > 590_000);
  assert.deepEqual(created.body.balance, { balance: '10.000000', held: '4.000000', available: '6.000000' });

  const captured = await call(customer, 'POST', `/v1/holds/${created.body.id}/capture`, { amount: '2.5' });
  assert.equal(captured.status, 200, captured.text);
  assert.equal(captured.body.status, 'captured');
  assert.equal(captured.body.captured_amount, '2.500000');
  assert.deepEqual(captured.body.balance, { balance: '7.500000', held: '0.000000', available: '7.500000' });

  const flows = await call(customer, 'GET', '/v1/account-flows?type=consume');
  assert.equal(flows.body.data[0].metadata.hold_id, created.body.id);
  assert.equal(flows.body.data[0].user, 'alice');
  const fetched = await call(customer, 'GET', `/v1/holds/${created.body.id}`);
  assert.equal(fetched.body.status, 'captured');
  await assertInvariants();
});

test('a capture above the hold is refused, the same capture again is answered as the first, another amount is refused', async () => {
  const customer = await fundedCustomer('10');
  const created = await hold(customer, '3');
  const path = `/v1/holds/${created.body.id}/capture`;
  const tooMuch = await call(customer, 'POST', path, { amount: '3.000001' });
  assert.equal(tooMuch.status, 422, tooMuch.text);
  assert.equal(tooMuch.body.error.code, 'capture_exceeds_hold');
  assert.equal((await balance(customer)).held, '3.000000');

  // Duplicates in parallel: the same amount is one capture answered alike, another amount is refused.
  const same = await Promise.all(Array.from({ length: 8 }, () => call(customer, 'POST', path, { amount: '1' })));
  for (const response of same) {
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.captured_amount, '1.000000');
  }
  const other = await Promise.all(Array.from({ length: 4 }, () => call(customer, 'POST', path, { amount: '2' })));
  for (const response of other) assert.equal(response.body.error.code, 'hold_already_captured', response.text);
  const voided = await call(customer, 'POST', `/v1/holds/${created.body.id}/void`);
  assert.equal(voided.body.error.code, 'hold_already_captured');
  const [settlements] = await database.sql<{ count: bigint }[]>`
    select count(*)::bigint as count from transfers where idempotency_key like ${`hold:${created.body.id}:settle%`}`;
  assert.equal(settlements!.count, 1n);
  assert.deepEqual(await balance(customer), { balance: '9.000000', held: '0.000000', available: '9.000000' });

  const zero = await hold(customer, '2');
  const nothing = await call(customer, 'POST', `/v1/holds/${zero.body.id}/capture`, { amount: '0' });
  assert.equal(nothing.status, 200, nothing.text);
  assert.equal(nothing.body.captured_amount, '0.000000');
  assert.equal((await balance(customer)).available, '9.000000');
  await assertInvariants();
});

test('an extension raises the hold while the balance allows it, then 402 leaves the hold as it was', async () => {
  const customer = await fundedCustomer('5');
  const created = await hold(customer, '1', { expires_in_seconds: 60 });
  const path = `/v1/holds/${created.body.id}/extend`;
  const raised = await call(customer, 'POST', path, { amount: '4', expires_in_seconds: 3_600 });
  assert.equal(raised.status, 200, raised.text);
  assert.equal(raised.body.amount, '4.000000');
  assert.ok(Date.parse(raised.body.expires_at) - Date.now() > 3_500_000);
  assert.deepEqual(raised.body.balance, { balance: '5.000000', held: '4.000000', available: '1.000000' });

  const refused = await call(customer, 'POST', path, { amount: '5.5' });
  assert.equal(refused.status, 402, refused.text);
  assert.equal(refused.body.error.code, 'insufficient_balance');
  const unchanged = await call(customer, 'GET', `/v1/holds/${created.body.id}`);
  assert.equal(unchanged.body.amount, '4.000000');
  assert.equal(unchanged.body.expires_at, raised.body.expires_at);

  const onlyExpiry = await call(customer, 'POST', path, { expires_in_seconds: 120 });
  assert.equal(onlyExpiry.status, 200, onlyExpiry.text);
  assert.ok(Date.parse(onlyExpiry.body.expires_at) < Date.parse(raised.body.expires_at));
  const empty = await call(customer, 'POST', path, {});
  assert.equal(empty.status, 422, empty.text);
  await assertInvariants();
});

test('a void releases the hold, a second void changes nothing, and a voided hold cannot be captured', async () => {
  const customer = await fundedCustomer('5');
  const created = await hold(customer, '5');
  assert.equal((await balance(customer)).available, '0.000000');
  const first = await call(customer, 'POST', `/v1/holds/${created.body.id}/void`);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.body.status, 'voided');
  const second = await call(customer, 'POST', `/v1/holds/${created.body.id}/void`);
  assert.equal(second.status, 200, second.text);
  assert.equal(second.body.status, 'voided');
  assert.deepEqual(await balance(customer), { balance: '5.000000', held: '0.000000', available: '5.000000' });
  const capture = await call(customer, 'POST', `/v1/holds/${created.body.id}/capture`, { amount: '1' });
  assert.equal(capture.status, 409);
  assert.equal(capture.body.error.code, 'hold_voided');
  await assertInvariants();
});

test('creating a hold is idempotent; the list filters by status and pages with a cursor; another account sees none', async () => {
  const customer = await fundedCustomer('10');
  const key = uniqueKey('hold');
  const body = { amount: '1', description: 'call' };
  const first = await call(customer, 'POST', '/v1/holds', body, key);
  const again = await call(customer, 'POST', '/v1/holds', body, key);
  assert.equal(again.status, 201, again.text);
  assert.equal(again.body.id, first.body.id);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  const reused = await call(customer, 'POST', '/v1/holds', { ...body, amount: '2' }, key);
  assert.equal(reused.body.error.code, 'idempotency_key_reused');
  const missingKey = await call(customer, 'POST', '/v1/holds', body);
  assert.equal(missingKey.body.error.code, 'idempotency_key_required');

  const second = await hold(customer, '1');
  await call(customer, 'POST', `/v1/holds/${second.body.id}/void`);
  const third = await hold(customer, '1');
  const active: string[] = [];
  let cursor: string | null = null;
  do {
    const page: TestResponse = await call(customer, 'GET', `/v1/holds?status=active&limit=1${cursor === null ? '' : `&cursor=${cursor}`}`);
    assert.equal(page.status, 200, page.text);
    active.push(...page.body.data.map((item: { id: string }) => item.id));
    cursor = page.body.next_cursor;
  } while (cursor !== null);
  assert.deepEqual(active, [third.body.id, first.body.id]);
  const voided = await call(customer, 'GET', '/v1/holds?status=voided');
  assert.deepEqual(voided.body.data.map((item: { id: string }) => item.id), [second.body.id]);
  const badStatus = await call(customer, 'GET', '/v1/holds?status=pending');
  assert.equal(badStatus.status, 400);

  const stranger = await fundedCustomer('1');
  assert.equal((await call(stranger, 'GET', `/v1/holds/${first.body.id}`)).status, 404);
  assert.equal((await call(stranger, 'POST', `/v1/holds/${first.body.id}/capture`, { amount: '1' })).status, 404);
  assert.equal((await call(stranger, 'GET', '/v1/holds')).body.data.length, 0);

  // Ops see the account's active holds, with the account named; a customer key cannot.
  const opsView = await api.request('GET', `/admin/holds?status=active&account_id=${customer.accountId}`, { token: testAdminToken });
  assert.equal(opsView.status, 200, opsView.text);
  assert.deepEqual(opsView.body.data.map((item: { id: string; account_id: string }) => [item.id, item.account_id]), [
    [third.body.id, customer.accountId],
    [first.body.id, customer.accountId],
  ]);
  const everyAccount = await api.request('GET', '/admin/holds?status=voided&limit=100', { token: testAdminToken });
  assert.ok(everyAccount.body.data.some((item: { id: string }) => item.id === second.body.id));
  assert.equal((await api.request('GET', '/admin/holds?account_id=nope', { token: testAdminToken })).body.error.code, 'invalid_query_parameter');
  assert.equal((await api.request('GET', '/admin/holds', { token: customer.apiKey })).status, 403);
});

test('consumptions spend only what is available: held money cannot be consumed', async () => {
  const customer = await fundedCustomer('10');
  await hold(customer, '7');
  const consume = (amount: string) =>
    call(customer, 'POST', '/v1/consumptions', { amount, description: 'tokens' }, uniqueKey('consume'));
  const tooMuch = await consume('3.5');
  assert.equal(tooMuch.status, 402, tooMuch.text);
  assert.equal(tooMuch.body.error.code, 'insufficient_balance');
  assert.equal((await consume('3')).status, 201);
  assert.deepEqual(await balance(customer), { balance: '7.000000', held: '7.000000', available: '0.000000' });
  assert.equal((await hold(customer, '0.000001')).body.error.code, 'insufficient_balance');
  await assertInvariants();
});

test('holds, extensions, captures, voids and consumptions at once on one hot account never overdraw and never deadlock', async () => {
  const customer = await fundedCustomer('30');
  // Sixty holds of 1 on a balance of 30: exactly thirty are granted.
  const attempts = await Promise.all(Array.from({ length: 60 }, () => hold(customer, '1')));
  const granted = attempts.filter((response) => response.status === 201);
  assert.equal(granted.length, 30);
  for (const refused of attempts.filter((response) => response.status !== 201)) {
    assert.equal(refused.body.error.code, 'insufficient_balance', refused.text);
  }
  assert.deepEqual(await balance(customer), { balance: '30.000000', held: '30.000000', available: '0.000000' });

  // Then everything together: voids free money that extensions, new holds and consumptions race for.
  const ids: string[] = granted.map((response) => response.body.id);
  const work: Promise<TestResponse>[] = [];
  ids.forEach((id, index) => {
    if (index % 3 === 0) work.push(call(customer, 'POST', `/v1/holds/${id}/void`));
    else if (index % 3 === 1) work.push(call(customer, 'POST', `/v1/holds/${id}/capture`, { amount: '0.5' }));
    else work.push(call(customer, 'POST', `/v1/holds/${id}/extend`, { amount: '2' }));
    work.push(hold(customer, '1'));
    work.push(call(customer, 'POST', '/v1/consumptions', { amount: '0.75', description: 'tokens' }, uniqueKey('consume')));
  });
  const responses = await Promise.all(work);
  for (const response of responses) {
    assert.ok([200, 201, 402].includes(response.status), `${response.status} ${response.text}`);
    if (response.status === 402) assert.equal(response.body.error.code, 'insufficient_balance');
  }
  const after = await balance(customer);
  assert.ok(microsFromDecimal(after.available) >= 0n);
  assert.equal(microsFromDecimal(after.balance), microsFromDecimal(after.held) + microsFromDecimal(after.available));
  await assertInvariants();
});

test('an expired hold cannot be captured at once, and its money comes back after the process that made it crashed', async () => {
  const port = await freePort();
  const environment = {
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: `refill-holds-${randomToken(6)}`,
    ADMIN_TOKEN: testAdminToken,
    ADMIN_TOKENS: testAdminTokensVariable,
    PORT: String(port),
    LOG_LEVEL: 'info',
  };
  const customer = await fundedCustomer('10');
  const first = startRefillProcess('api/main.ts', environment);
  let held: TestResponse;
  try {
    await first.waitForLine(/API listening/);
    const response = await fetch(`http://127.0.0.1:${port}/v1/holds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${customer.apiKey}`, 'content-type': 'application/json', 'idempotency-key': uniqueKey('hold') },
      body: JSON.stringify({ amount: '6', description: 'call', expires_in_seconds: 1 }),
    });
    held = { status: response.status, headers: response.headers, body: await response.json(), text: '' };
    assert.equal(held.status, 201);
    // Killed, not stopped: nothing of it runs again.
    process.kill(-first.process.child.pid!, 'SIGKILL');
    await first.process.exited;
  } finally {
    await first.stop();
  }

  // Reads and writes honour the expiry at once, with no sweeper alive anywhere.
  const expired = await eventually(
    async () => {
      const response = await call(customer, 'GET', `/v1/holds/${held.body.id}`);
      return response.body.status === 'expired' ? response : undefined;
    },
    { description: 'the hold to read as expired', timeoutMilliseconds: 10_000 },
  );
  assert.equal(expired.body.status, 'expired');
  const capture = await call(customer, 'POST', `/v1/holds/${held.body.id}/capture`, { amount: '1' });
  assert.equal(capture.status, 409, capture.text);
  assert.equal(capture.body.error.code, 'hold_expired');

  const second = startRefillProcess('api/main.ts', { ...environment, PORT: String(await freePort()) });
  try {
    await eventually(
      async () => ((await balance(customer)).available === '10.000000' ? true : undefined),
      { description: 'the restarted API to release the expired hold', timeoutMilliseconds: 60_000 },
    );
  } finally {
    await second.stop();
  }
  const [row] = await database.sql<{ status: string }[]>`select status from holds where id = ${held.body.id}`;
  assert.equal(row!.status, 'expired');
  const voided = await call(customer, 'POST', `/v1/holds/${held.body.id}/void`);
  assert.equal(voided.body.status, 'expired');
  await assertInvariants();
});

test('a spend limit counts what the user consumed and holds in the period, and is set, listed and removed', async () => {
  const customer = await fundedCustomer('100');
  const consume = (amount: string, user: string) =>
    call(customer, 'POST', '/v1/consumptions', { amount, description: 'tokens', user }, uniqueKey('consume'));
  assert.equal((await consume('3', 'carol')).status, 201);
  const put = await call(customer, 'PUT', '/v1/spend-limits/carol', { amount: '5', period: 'day' });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.spent, '3.000000');
  const now = new Date();
  assert.equal(put.body.resets_at, new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString());

  const held = await hold(customer, '1.5', { user: 'carol' });
  assert.equal(held.status, 201, held.text);
  const over = await consume('0.6', 'carol');
  assert.equal(over.status, 402, over.text);
  assert.equal(over.body.error.code, 'spend_limit_reached');
  assert.equal((await hold(customer, '0.6', { user: 'carol' })).body.error.code, 'spend_limit_reached');
  assert.equal((await call(customer, 'POST', `/v1/holds/${held.body.id}/extend`, { amount: '2.1' })).body.error.code, 'spend_limit_reached');
  assert.equal((await consume('50', 'dave')).status, 201, 'another user is not limited');
  // A capture moves held to spent; what it releases is free again.
  assert.equal((await call(customer, 'POST', `/v1/holds/${held.body.id}/capture`, { amount: '1' })).status, 200);
  const listed = await call(customer, 'GET', '/v1/spend-limits');
  assert.deepEqual(
    listed.body.data.map((limit: Record<string, string>) => [limit.user, limit.amount, limit.period, limit.spent, limit.held]),
    [['carol', '5.000000', 'day', '4.000000', '0.000000']],
  );
  assert.equal((await consume('1', 'carol')).status, 201);
  assert.equal((await consume('0.000001', 'carol')).body.error.code, 'spend_limit_reached');

  assert.equal((await call(customer, 'PUT', '/v1/spend-limits/carol', { amount: '5', period: 'year' })).status, 422);
  assert.equal((await call(customer, 'DELETE', '/v1/spend-limits/carol')).status, 204);
  assert.equal((await call(customer, 'DELETE', '/v1/spend-limits/carol')).status, 404);
  assert.equal((await consume('1', 'carol')).status, 201);
  await assertInvariants();
});

test('spend limits hold under concurrent consumptions and holds of one user, and reset with their UTC period', async () => {
  const customer = await fundedCustomer('100');
  const week = await call(customer, 'PUT', '/v1/spend-limits/erin', { amount: '10', period: 'week' });
  const resetsAt = new Date(week.body.resets_at);
  assert.equal(resetsAt.getUTCDay(), 1, 'a week ends on Monday, 00:00 UTC');
  assert.equal(resetsAt.getUTCHours() + resetsAt.getUTCMinutes(), 0);
  const requests = Array.from({ length: 40 }, (_, index) =>
    index % 4 === 0
      ? hold(customer, '1', { user: 'erin' })
      : call(customer, 'POST', '/v1/consumptions', { amount: '1', description: 'tokens', user: 'erin' }, uniqueKey('consume')),
  );
  const responses = await Promise.all(requests);
  const granted = responses.filter((response) => response.status === 201);
  assert.equal(granted.length, 10, 'exactly the limit is granted');
  for (const refused of responses.filter((response) => response.status !== 201)) {
    assert.equal(refused.body.error.code, 'spend_limit_reached', refused.text);
  }
  const [limit] = (await call(customer, 'GET', '/v1/spend-limits')).body.data;
  assert.equal(microsFromDecimal(limit.spent) + microsFromDecimal(limit.held), microsFromDecimal('10.000000'));

  // The stored count belongs to last week once the period has moved on: nothing of it counts now.
  await database.sql`update spend_limits set period_start = period_start - interval '7 days' where account_id = ${customer.accountId}`;
  const fresh = await call(customer, 'GET', '/v1/spend-limits');
  assert.equal(fresh.body.data[0].spent, '0.000000');
  assert.equal((await call(customer, 'POST', '/v1/consumptions', { amount: '1', description: 'tokens', user: 'erin' }, uniqueKey('consume'))).status, 201);
  const month = await call(customer, 'PUT', '/v1/spend-limits/erin', { amount: '100', period: 'month' });
  assert.equal(new Date(month.body.resets_at).getUTCDate(), 1);
  await assertInvariants();
});
