// Named admin credentials and the audit log of ops: each operator has a token of their own, every ops
// action is recorded as the operator of the token (never as a header says), and every admin write
// request is in an audit log that ops can query and nobody can change. Real API, worker, Temporal,
// Postgres and stripe-mock.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { describeAdminWrite, summarizeRequestBody } from '../api/admin-audit.ts';
import { ConfigError, loadConfig } from '../config/config.ts';
import { getOrderRow } from '../db/orders/get-order.ts';
import { orderWorkflowId } from '../domain/orders.ts';
import { paymentExceptionIdFor } from '../domain/payment-exceptions.ts';
import { randomToken } from '../ids/ids.ts';
import { createTestAccount, startTestApi, testAdminToken, type TestResponse } from './support/api.ts';
import { createTestDatabase } from './support/database.ts';
import { eventually } from './support/eventually.ts';
import { testOperatorToken } from './support/operators.ts';
import {
  checkoutEventFor,
  sendWebhook,
  startTestPipeline,
  waitForOrder,
  type OrderJson,
  type TestPipeline,
} from './support/pipeline.ts';

let pipeline: TestPipeline;
before(async () => {
  pipeline = await startTestPipeline();
});
after(async () => {
  await pipeline.close();
});

const alice = testOperatorToken('alice');
const bob = testOperatorToken('bob');

function as(token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<TestResponse> {
  return pipeline.api.request(method, path, { token, headers, ...(body === undefined ? {} : { body }) });
}

interface AuditRow {
  operator: string;
  action: string;
  target: string | null;
  status_code: number;
  request_id: string | null;
  request_summary: unknown;
}

/** The audit rows of one object, oldest first, as [action, operator, status]. */
async function auditTrailOf(target: string): Promise<[string, string, number][]> {
  const rows = await pipeline.database.sql<AuditRow[]>`select * from admin_audit_log where target = ${target} order by id`;
  return rows.map((row) => [row.action, row.operator, row.status_code]);
}

async function auditRowCount(): Promise<number> {
  const [row] = await pipeline.database.sql<{ count: number }[]>`select count(*)::int as count from admin_audit_log`;
  return row!.count;
}

async function orderActorsOf(orderId: string): Promise<[string, string][]> {
  const response = await as(alice, 'GET', `/admin/topups/${orderId}`);
  assert.equal(response.status, 200, response.text);
  return response.body.actions.map((action: { action: string; actor: string }) => [action.action, action.actor]);
}

const remitter = { remitter_name: 'Li Lei', bank_name: 'ICBC Beijing', agreement_accepted: true };

async function createTopUp(apiKey: string, body: Record<string, unknown>): Promise<OrderJson> {
  const response = await pipeline.api.request('POST', '/v1/topups', { token: apiKey, idempotencyKey: randomToken(12), body });
  assert.equal(response.status, 201, response.text);
  return response.body as OrderJson;
}

const createBankOrder = (apiKey: string) => createTopUp(apiKey, { package_id: 'cny_100', payment_method: 'bank_transfer', bank_transfer: remitter });

async function paidEvent(order: OrderJson, amountTotal?: number) {
  const row = await getOrderRow(pipeline.database.sql, order.id, null);
  assert.ok(row?.checkout_session_id, 'the order has a checkout session');
  return checkoutEventFor(order, 'checkout.session.completed', {
    sessionId: row.checkout_session_id,
    ...(amountTotal === undefined ? {} : { amountTotal }),
  });
}

/** A payment that arrives after its order was cancelled: a payment exception, waiting for ops. */
async function paymentException(apiKey: string): Promise<string> {
  const order = await createTopUp(apiKey, { amount: '20.00', payment_method: 'stripe' });
  const event = await paidEvent(order);
  assert.equal((await pipeline.api.request('POST', `/v1/topups/${order.id}/cancel`, { token: apiKey })).status, 200);
  await pipeline.api.temporalClient.workflow.getHandle(orderWorkflowId(order.id)).result();
  assert.equal((await sendWebhook(pipeline.api, event)).body.outcome, 'payment_exception');
  const id = paymentExceptionIdFor(event.id);
  await eventually(async () => ((await as(alice, 'GET', `/admin/payment-exceptions/${id}`)).status === 200 ? true : undefined), {
    description: `payment exception ${id}`,
  });
  return id;
}

describe('each operator acts under their own name', () => {
  test('creating an account and a promo code is recorded with the operator, the new object and the request id, without the key', async () => {
    const email = `audited-${randomToken(6)}@example.com`;
    const account = await as(alice, 'POST', '/admin/accounts', { email, currency: 'USD' }, { 'x-request-id': 'req-audit-account-1' });
    assert.equal(account.status, 201, account.text);
    const [row] = await pipeline.database.sql<AuditRow[]>`select * from admin_audit_log where target = ${account.body.account_id}`;
    assert.ok(row, 'the account creation is in the audit log as soon as its answer is');
    assert.deepEqual(
      [row.operator, row.action, row.status_code, row.request_id, row.request_summary],
      ['alice', 'account.create', 201, 'req-audit-account-1', { email, currency: 'USD' }],
    );
    const kept = JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    assert.ok(!kept.includes(account.body.api_key), 'the new API key is not in the log');

    const code = `AUDIT${randomToken(6).toUpperCase().replace(/[^A-Z0-9]/g, 'X')}`;
    const promo = await as(bob, 'POST', '/admin/promo-codes', { code, kind: 'bonus_percent', percent: '5', currency: 'USD' });
    assert.equal(promo.status, 201, promo.text);
    const again = await as(alice, 'POST', '/admin/promo-codes', { code, kind: 'bonus_percent', percent: '7', currency: 'USD' });
    assert.equal(again.body.error.code, 'promo_code_exists');
    assert.deepEqual(await auditTrailOf(code), [['promo_code.create', 'bob', 201], ['promo_code.create', 'alice', 409]]);
  });

  test('bank transfer reviews are recorded as the operator of each token, on the order and in the audit log', async () => {
    const customer = await createTestAccount(pipeline.api, 'CNY', `bank-audit-${randomToken(6)}@example.com`);
    const confirmed = await createBankOrder(customer.apiKey);
    assert.equal((await as(alice, 'POST', `/admin/topups/${confirmed.id}/start-review`)).status, 200);
    const short = await as(bob, 'POST', `/admin/topups/${confirmed.id}/confirm-transfer`, { amount_received: '90.00', bank_reference: 'B-1' });
    assert.equal(short.body.error.code, 'amount_mismatch');
    const confirmation = await as(bob, 'POST', `/admin/topups/${confirmed.id}/confirm-transfer`, { amount_received: '100.00', bank_reference: 'B-1' });
    assert.equal(confirmation.status, 200, confirmation.text);
    assert.equal(confirmation.body.status, 'succeeded');
    assert.deepEqual(await orderActorsOf(confirmed.id), [['start_review', 'alice'], ['confirm_transfer', 'bob']]);
    assert.deepEqual(await auditTrailOf(confirmed.id), [
      ['topup.start_review', 'alice', 200],
      ['topup.confirm_transfer', 'bob', 422],
      ['topup.confirm_transfer', 'bob', 200],
    ]);

    const rejected = await createBankOrder(customer.apiKey);
    assert.equal((await as(bob, 'POST', `/admin/topups/${rejected.id}/start-review`)).status, 200);
    const rejection = await as(alice, 'POST', `/admin/topups/${rejected.id}/reject-transfer`, { reason: 'No transfer with this reference' });
    assert.equal(rejection.status, 200, rejection.text);
    assert.deepEqual(await orderActorsOf(rejected.id), [['start_review', 'bob'], ['reject_transfer', 'alice']]);
    assert.deepEqual(await auditTrailOf(rejected.id), [['topup.start_review', 'bob', 200], ['topup.reject_transfer', 'alice', 200]]);
  });

  test('a held payment and a payment exception are resolved and recorded as the operator of the token', async () => {
    const customer = await createTestAccount(pipeline.api, 'USD', `held-audit-${randomToken(6)}@example.com`);
    const held = await createTopUp(customer.apiKey, { amount: '50.00', payment_method: 'stripe' });
    await sendWebhook(pipeline.api, await paidEvent(held, 4_999));
    await waitForOrder(pipeline.api, customer.apiKey, held.id, ['processing'], { until: (order) => order.needs_review === true });
    const resolved = await as(alice, 'POST', `/admin/topups/${held.id}/resolve-review`, { decision: 'credit', reason: 'one cent short, accepted' });
    assert.equal(resolved.status, 200, resolved.text);
    assert.ok((await orderActorsOf(held.id)).some(([action, actor]) => action === 'resolve_review' && actor === 'alice'));
    assert.deepEqual(await auditTrailOf(held.id), [['topup.resolve_review', 'alice', 200]]);

    const exceptionId = await paymentException(customer.apiKey);
    const dismissed = await as(bob, 'POST', `/admin/payment-exceptions/${exceptionId}/resolve`, { decision: 'dismiss', reason: 'refunded by hand' });
    assert.equal(dismissed.status, 200, dismissed.text);
    assert.equal(dismissed.body.decided_by, 'bob');
    assert.deepEqual(await auditTrailOf(exceptionId), [['payment_exception.resolve', 'bob', 200]]);
  });
});

describe('the X-Operator header', () => {
  test('naming another operator is refused with 403, changes nothing, and is recorded as the operator of the token', async () => {
    const customer = await createTestAccount(pipeline.api, 'CNY', `spoof-${randomToken(6)}@example.com`);
    const order = await createBankOrder(customer.apiKey);
    const spoofed = await as(alice, 'POST', `/admin/topups/${order.id}/start-review`, undefined, { 'x-operator': 'bob' });
    assert.deepEqual([spoofed.status, spoofed.body.error.code], [403, 'forbidden']);
    const shared = await as(testAdminToken, 'POST', `/admin/topups/${order.id}/start-review`, undefined, { 'x-operator': 'alice' });
    assert.deepEqual([shared.status, shared.body.error.code], [403, 'forbidden'], 'the single admin token is the operator admin, not whoever it names');
    assert.equal((await pipeline.api.request('GET', `/v1/topups/${order.id}`, { token: customer.apiKey })).body.status, 'pending');
    assert.deepEqual(await orderActorsOf(order.id), []);

    const named = await as(alice, 'POST', `/admin/topups/${order.id}/start-review`, undefined, { 'x-operator': 'alice' });
    assert.equal(named.status, 200, 'naming the operator of the token is allowed');
    assert.deepEqual(await orderActorsOf(order.id), [['start_review', 'alice']]);
    assert.deepEqual(await auditTrailOf(order.id), [
      ['topup.start_review', 'alice', 403],
      ['topup.start_review', 'admin', 403],
      ['topup.start_review', 'alice', 200],
    ]);
  });
});

describe('admin credentials', () => {
  test('a wrong token is 401 and a customer key 403, and neither reaches a route or the audit log', async () => {
    const customer = await createTestAccount(pipeline.api, 'USD', `key-${randomToken(6)}@example.com`);
    const before = await auditRowCount();
    const wrongTokens = [`${alice.slice(0, -1)}x`, alice.slice(0, -1), `${alice}x`, alice.toUpperCase(), 'admin'];
    for (const token of wrongTokens) {
      const response = await as(token, 'POST', '/admin/accounts', { email: 'nobody@example.com', currency: 'USD' });
      assert.deepEqual([response.status, response.body.error.code], [401, 'unauthorized'], `token ${token}`);
    }
    const unauthenticated = await pipeline.api.request('POST', '/admin/accounts', { body: { email: 'nobody@example.com', currency: 'USD' } });
    assert.equal(unauthenticated.status, 401);
    const customerKey = await as(customer.apiKey, 'POST', '/admin/accounts', { email: 'nobody@example.com', currency: 'USD' });
    assert.deepEqual([customerKey.status, customerKey.body.error.code], [403, 'forbidden']);
    assert.equal((await as(customer.apiKey, 'GET', '/admin/audit-log')).status, 403);
    assert.equal(await auditRowCount(), before);
    const [created] = await pipeline.database.sql<{ count: number }[]>`select count(*)::int as count from accounts where email = 'nobody@example.com'`;
    assert.equal(created!.count, 0);
  });

  test('with ADMIN_TOKENS alone, only the named operators are let in', async () => {
    const carol = testOperatorToken('carol');
    const api = await startTestApi({
      sql: pipeline.database.sql,
      databaseUrl: pipeline.database.url,
      environment: { ADMIN_TOKEN: '', ADMIN_TOKENS: `carol:${carol}` },
    });
    try {
      const body = { email: `carol-${randomToken(6)}@example.com`, currency: 'USD' };
      assert.equal((await api.request('POST', '/admin/accounts', { token: testAdminToken, body })).status, 401);
      assert.equal((await api.request('POST', '/admin/accounts', { token: alice, body })).status, 401);
      const created = await api.request('POST', '/admin/accounts', { token: carol, body });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(await auditTrailOf(created.body.account_id), [['account.create', 'carol', 201]]);
    } finally {
      await api.close();
    }
  });
});

describe('the audit log', () => {
  test('lists admin writes newest first, filtered by operator, action and target, in pages without gaps or duplicates; reads are not in it', async () => {
    const prefix = `PAGE${randomToken(4).toUpperCase().replace(/[^A-Z0-9]/g, 'X')}`;
    const codes: string[] = [];
    for (let index = 0; index < 7; index += 1) {
      const code = `${prefix}${index}`;
      const response = await as(index % 2 === 0 ? alice : bob, 'POST', '/admin/promo-codes', { code, kind: 'bonus_fixed', amount: '1', currency: 'USD' });
      assert.equal(response.status, 201, response.text);
      codes.push(code);
    }
    const beforeReads = await auditRowCount();
    assert.equal((await as(alice, 'GET', `/admin/promo-codes/${codes[0]}`)).status, 200);
    assert.equal((await as(alice, 'GET', '/admin/audit-log')).status, 200);
    assert.equal(await auditRowCount(), beforeReads, 'reads are not recorded');

    const seen: { id: string; operator: string; action: string; target: string }[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/admin/audit-log?operator=alice&action=promo_code.create&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`;
      const page = await as(bob, 'GET', query);
      assert.equal(page.status, 200, page.text);
      assert.ok(page.body.data.length <= 2);
      seen.push(...page.body.data);
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    const mine = seen.filter((item) => item.target.startsWith(prefix));
    assert.deepEqual(mine.map((item) => item.target), [codes[6], codes[4], codes[2], codes[0]], 'alice\'s codes, newest first');
    assert.ok(seen.every((item) => item.operator === 'alice' && item.action === 'promo_code.create'));
    const ids = seen.map((item) => BigInt(item.id));
    assert.deepEqual(ids, [...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)), 'strictly newest first');
    assert.equal(new Set(ids).size, ids.length, 'no item twice');
    const [expected] = await pipeline.database.sql<{ count: number }[]>`
      select count(*)::int as count from admin_audit_log where operator = 'alice' and action = 'promo_code.create'`;
    assert.equal(seen.length, expected!.count, 'no item missing');

    const one = await as(alice, 'GET', `/admin/audit-log?target=${codes[3]}`);
    assert.deepEqual(
      one.body.data.map((item: { operator: string; action: string; target: string; status_code: number; method: string; path: string }) => [
        item.operator, item.action, item.target, item.status_code, item.method, item.path,
      ]),
      [['bob', 'promo_code.create', codes[3], 201, 'POST', '/admin/promo-codes']],
    );
    assert.equal(one.body.next_cursor, null);
  });

  test('refuses filters and cursors it does not know', async () => {
    const cases: [string, string, string][] = [
      ['operator=Alice', 'invalid_query_parameter', 'operator'],
      ['action=DROP%20TABLE', 'invalid_query_parameter', 'action'],
      [`target=${'x'.repeat(201)}`, 'invalid_query_parameter', 'target'],
      ['limit=0', 'invalid_query_parameter', 'limit'],
      ['cursor=not-a-cursor', 'invalid_cursor', 'cursor'],
      [`cursor=${Buffer.from('payment-exception:5').toString('base64url')}`, 'invalid_cursor', 'cursor'],
    ];
    for (const [query, code, field] of cases) {
      const response = await as(alice, 'GET', `/admin/audit-log?${query}`);
      assert.deepEqual([response.status, response.body.error.code, response.body.error.field], [400, code, field], query);
    }
  });

  test('keeps a refused request too, with its body made storable and without secrets', async () => {
    const requestId = `req-refused-${randomToken(8)}`;
    const body = { email: 'nul\u0000@example.com', currency: 'USD', api_key: 'rfk_pasted_by_mistake' };
    const response = await as(alice, 'POST', '/admin/accounts', body, { 'x-request-id': requestId });
    assert.ok(response.status >= 400 && response.status < 500, response.text);
    const [row] = await pipeline.database.sql<AuditRow[]>`select * from admin_audit_log where request_id = ${requestId}`;
    assert.deepEqual(
      [row?.operator, row?.action, row?.status_code, row?.request_summary],
      ['alice', 'account.create', response.status, { email: 'nul\uFFFD@example.com', currency: 'USD', api_key: '[redacted]' }],
    );
  });

  test('a row that cannot be written holds up no answer: the action stands', async () => {
    const database = await createTestDatabase(2);
    // From here on every insert into the log fails, as it would with its table unreachable.
    await database.sql`alter table admin_audit_log add constraint refuse_every_row check (operator = '') not valid`;
    const api = await startTestApi({ sql: database.sql, databaseUrl: database.url });
    try {
      const created = await api.request('POST', '/admin/accounts', { token: alice, body: { email: 'unlogged@example.com', currency: 'USD' } });
      assert.equal(created.status, 201, created.text);
      const [account] = await database.sql<{ count: number }[]>`select count(*)::int as count from accounts where id = ${created.body.account_id}`;
      assert.equal(account!.count, 1);
      const [rows] = await database.sql<{ count: number }[]>`select count(*)::int as count from admin_audit_log`;
      assert.equal(rows!.count, 0);
    } finally {
      await api.close();
      await database.close();
    }
  });

  test('rows cannot be updated, deleted or truncated', async () => {
    const created = await as(alice, 'POST', '/admin/accounts', { email: `immutable-${randomToken(6)}@example.com`, currency: 'USD' });
    const target = created.body.account_id as string;
    const refusedWith = (code: string) => (error: unknown) => (error as { code?: string }).code === code;
    await assert.rejects(pipeline.database.sql`update admin_audit_log set operator = 'mallory' where target = ${target}`, refusedWith('RF950'));
    await assert.rejects(pipeline.database.sql`delete from admin_audit_log where target = ${target}`, refusedWith('RF950'));
    await assert.rejects(pipeline.database.sql`truncate admin_audit_log`, refusedWith('RF950'));
    assert.deepEqual(await auditTrailOf(target), [['account.create', 'alice', 201]]);
  });

  test('names each write by its path: the object, its verb and its id', () => {
    assert.deepEqual(describeAdminWrite('POST', '/admin/accounts'), { action: 'account.create', target: null });
    assert.deepEqual(describeAdminWrite('POST', '/admin/promo-codes/'), { action: 'promo_code.create', target: null });
    assert.deepEqual(describeAdminWrite('POST', '/admin/topups/ord_1/confirm-transfer'), { action: 'topup.confirm_transfer', target: 'ord_1' });
    assert.deepEqual(describeAdminWrite('POST', '/admin/payment-exceptions/pex_1/resolve'), { action: 'payment_exception.resolve', target: 'pex_1' });
    assert.deepEqual(describeAdminWrite('DELETE', '/admin/promo-codes/SPRING'), { action: 'promo_code.delete', target: 'SPRING' });
    assert.deepEqual(describeAdminWrite('POST', '/admin/a/b/c/d'), { action: 'unknown_route', target: null });
    assert.deepEqual(describeAdminWrite('POST', '/admin/topups/ord_1/%00'), { action: 'unknown_route', target: null });
  });

  test('summaries redact secret fields and bound what they keep', () => {
    const summary = summarizeRequestBody({
      reason: 'r'.repeat(600),
      nested: { webhook_secret: 'whsec_x', password: 'p', note: 'half \ud800 pair' },
      list: Array.from({ length: 30 }, (_, index) => index),
      deep: { a: { b: { c: { d: 'too deep' } } } },
    }) as Record<string, unknown>;
    assert.equal((summary.reason as string).length, 500);
    assert.deepEqual(summary.nested, { webhook_secret: '[redacted]', password: '[redacted]', note: 'half \uFFFD pair' });
    assert.equal((summary.list as number[]).length, 20);
    assert.deepEqual(summary.deep, { a: { b: { c: '[nested too deeply]' } } });
  });
});

describe('ADMIN_TOKENS', () => {
  const base = { DATABASE_URL: 'postgres://localhost/refill' };
  const token = (label: string) => `${label}-token-0123456789abcdef0123456789`;

  test('names each operator with a token of their own, ADMIN_TOKEN being the operator admin, and keeps no token in plain text', () => {
    const config = loadConfig({ ...base, ADMIN_TOKEN: 'single-admin-token-0123', ADMIN_TOKENS: ` alice:${token('a')}, bob.smith:${token('b')} ` });
    assert.deepEqual(config.api.adminOperators.map((operator) => operator.name), ['admin', 'alice', 'bob.smith']);
    const kept = JSON.stringify(config);
    for (const secret of ['single-admin-token-0123', token('a'), token('b')]) assert.ok(!kept.includes(secret), 'only digests are kept');
    assert.deepEqual(loadConfig({ ...base, ADMIN_TOKENS: `alice:${token('a')}` }).api.adminOperators.map((operator) => operator.name), ['alice']);
  });

  test('each bad value fails with one line naming the variable, and never quotes a token', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{}, /^Invalid configuration: ADMIN_TOKENS or ADMIN_TOKEN must be set/],
      [{ ADMIN_TOKENS: token('a') }, /^Invalid configuration: ADMIN_TOKENS entry 1 must be name:token/],
      [{ ADMIN_TOKENS: `alice:${token('a')},` }, /^Invalid configuration: ADMIN_TOKENS entry 2 must be name:token/],
      [{ ADMIN_TOKENS: `Alice:${token('a')}` }, /^Invalid configuration: ADMIN_TOKENS entry 1 must start with an operator name/],
      [{ ADMIN_TOKENS: `${'a'.repeat(65)}:${token('a')}` }, /^Invalid configuration: ADMIN_TOKENS entry 1 must start with an operator name/],
      [{ ADMIN_TOKENS: `alice:${token('a')},bob:short-token-1234567890` }, /^Invalid configuration: ADMIN_TOKENS entry 2 \(bob\) must have a token of 32 to 200 characters/],
      [{ ADMIN_TOKENS: `alice:${token('a')} ${token('b')}` }, /^Invalid configuration: ADMIN_TOKENS entry 1 \(alice\) must have a token of printable characters/],
      [{ ADMIN_TOKENS: `customer:${token('a')}` }, /^Invalid configuration: ADMIN_TOKENS entry 1 names operator customer/],
      [{ ADMIN_TOKENS: `alice:${token('a')},alice:${token('b')}` }, /^Invalid configuration: ADMIN_TOKENS names operator alice twice$/],
      [{ ADMIN_TOKENS: `alice:${token('a')},bob:${token('a')}` }, /^Invalid configuration: ADMIN_TOKENS gives operators alice and bob the same token$/],
      [{ ADMIN_TOKEN: token('a'), ADMIN_TOKENS: `admin:${token('b')}` }, /^Invalid configuration: ADMIN_TOKENS names operator admin twice \(ADMIN_TOKEN is the operator admin\)$/],
      [{ ADMIN_TOKEN: token('a'), ADMIN_TOKENS: `bob:${token('a')}` }, /^Invalid configuration: ADMIN_TOKENS gives operators admin and bob the same token$/],
      [{ ADMIN_TOKEN: 'short' }, /^Invalid configuration: ADMIN_TOKEN /],
    ];
    for (const [overrides, message] of cases) {
      assert.throws(() => loadConfig({ ...base, ...overrides }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, message);
        assert.doesNotMatch(error.message, /\n/);
        assert.ok(!error.message.includes('0123456789abcdef'), `${error.message} quotes a token`);
        return true;
      }, JSON.stringify(overrides));
    }
  });
});
