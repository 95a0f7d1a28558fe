// The customer-facing HTTP contract of the ledger, on the real Express app, Postgres and Temporal:
// accounts and keys, authentication and scoping, balance, consumptions with idempotency, account flows
// with stable pagination, refusal of bad input without side effects, health, and duplicates in parallel.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashApiKey } from '../db/accounts/create-account.ts';
import { closeSql, createSql } from '../db/client.ts';
import { checkLedgerInvariants } from '../db/ledger/check-invariants.ts';
import { freePort } from '../dev/ports.ts';
import { type Currency, microsFromDecimal } from '../domain/money.ts';
import { randomToken } from '../ids/ids.ts';
import { createTestAccount, startTestApi, testAdminToken, type RequestOptions, type TestApi, type TestResponse } from './support/api.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { fundAccountDirectly } from './support/ledger.ts';

let database: TestDatabase;
let api: TestApi;

/** Enough connections for the parallel tests below to contend for rows, not for the pool. */
const testPoolSize = 20;
/** The body limit of api/app.ts, plus a margin, so the body is refused for its size alone. */
const overLimitBodyBytes = 70 * 1024;

before(async () => {
  database = await createTestDatabase(testPoolSize);
  api = await startTestApi({ sql: database.sql, databaseUrl: database.url });
});
after(async () => {
  await api.close();
  await database.close();
});

interface TestCustomer {
  accountId: string;
  apiKey: string;
}

/** A new account through the admin API, credited by a paid order of `credit` (a decimal string). */
async function fundedCustomer(credit: string, currency: Currency = 'USD'): Promise<TestCustomer> {
  const customer = await createTestAccount(api, currency);
  await fundAccountDirectly(database.sql, customer.accountId, currency, microsFromDecimal(credit));
  return customer;
}

function consume(customer: TestCustomer, idempotencyKey: string, body: unknown): Promise<TestResponse> {
  return api.request('POST', '/v1/consumptions', { token: customer.apiKey, idempotencyKey, body });
}

interface LedgerSnapshot {
  balance: string;
  transfers: bigint;
  entries: bigint;
}

/** The account's balance and the ledger's size: a refused request must leave all three as they were. */
async function ledgerSnapshot(customer: TestCustomer): Promise<LedgerSnapshot> {
  const balance = await api.request('GET', '/v1/balance', { token: customer.apiKey });
  assert.equal(balance.status, 200, balance.text);
  const [counts] = await database.sql<{ transfers: bigint; entries: bigint }[]>`
    select (select count(*) from transfers)::bigint as transfers, (select count(*) from entries)::bigint as entries`;
  return { balance: balance.body.balance as string, transfers: counts!.transfers, entries: counts!.entries };
}

/** Asserts the documented error shape, and its code and status. */
function assertApiError(response: TestResponse, status: number, code: string, field?: string): void {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status} ${response.text}`);
  assert.equal(response.headers.get('content-type')?.startsWith('application/json'), true);
  const error = response.body?.error;
  assert.equal(error?.code, code, response.text);
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 0);
  if (field !== undefined) assert.equal(error.field, field, response.text);
  assert.deepEqual(Object.keys(response.body), ['error']);
}

function flowNumber(flowId: string): bigint {
  const match = /^flow_(\d+)$/.exec(flowId);
  assert.ok(match !== null, `not a flow id: ${flowId}`);
  return BigInt(match[1]!);
}

async function allFlowIds(customer: TestCustomer, query = ''): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const separator = query === '' ? '' : '&';
    const path: string = `/v1/account-flows?limit=100${separator}${query}${cursor === null ? '' : `&cursor=${cursor}`}`;
    const page = await api.request('GET', path, { token: customer.apiKey });
    assert.equal(page.status, 200, page.text);
    ids.push(...(page.body.data as { id: string }[]).map((flow) => flow.id));
    cursor = page.body.next_cursor;
  } while (cursor !== null);
  return ids;
}

describe('POST /admin/accounts', () => {
  test('creates an account and returns its key once; only the key\'s SHA-256 is stored', async () => {
    const response = await api.request('POST', '/admin/accounts', {
      token: testAdminToken,
      body: { email: 'new-customer@example.com', currency: 'CNY' },
    });
    assert.equal(response.status, 201, response.text);
    assert.match(response.body.account_id, /^acct_[0-9a-z]{24}$/);
    assert.match(response.body.api_key, /^rfk_[0-9a-z]{40}$/);
    assert.equal(response.body.currency, 'CNY');

    const apiKey = response.body.api_key as string;
    const rows = await database.sql<{ key_hash: Buffer; account_id: string; key_prefix: string }[]>`
      select key_hash, account_id, key_prefix from api_keys where account_id = ${response.body.account_id}`;
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0]!.key_hash, hashApiKey(apiKey));
    const everyStoredKey = await database.sql<{ row: string }[]>`select row_to_json(k)::text as row from api_keys k`;
    for (const { row } of everyStoredKey) {
      assert.equal(row.includes(apiKey), false, 'the raw API key is stored in api_keys');
      assert.equal(row.includes(Buffer.from(apiKey).toString('hex')), false, 'the raw API key is stored as bytes');
    }
    const balance = await api.request('GET', '/v1/balance', { token: apiKey });
    assert.equal(balance.status, 200, balance.text);
    assert.equal(balance.body.currency, 'CNY');
    assert.equal(balance.body.balance, '0.000000');
  });

  test('accepts a lower-case currency and refuses one it does not support', async () => {
    const lower = await api.request('POST', '/admin/accounts', { token: testAdminToken, body: { email: 'a@example.com', currency: 'usd' } });
    assert.equal(lower.status, 201, lower.text);
    assert.equal(lower.body.currency, 'USD');
    const euro = await api.request('POST', '/admin/accounts', { token: testAdminToken, body: { email: 'a@example.com', currency: 'EUR' } });
    assertApiError(euro, 422, 'unsupported_currency', 'currency');
    const badEmail = await api.request('POST', '/admin/accounts', { token: testAdminToken, body: { email: 'nope', currency: 'USD' } });
    assertApiError(badEmail, 422, 'invalid_field', 'email');
    const missing = await api.request('POST', '/admin/accounts', { token: testAdminToken, body: { email: 'a@example.com' } });
    assertApiError(missing, 422, 'missing_field', 'currency');
  });

  test('needs the admin token: none or a wrong one is 401, a customer key is 403', async () => {
    const body = { email: 'intruder@example.com', currency: 'USD' };
    const [before] = await database.sql<{ count: bigint }[]>`select count(*)::bigint as count from accounts`;
    assertApiError(await api.request('POST', '/admin/accounts', { body }), 401, 'unauthorized');
    assertApiError(await api.request('POST', '/admin/accounts', { body, token: `${testAdminToken}x` }), 401, 'unauthorized');
    const customer = await createTestAccount(api);
    assertApiError(await api.request('POST', '/admin/accounts', { body, token: customer.apiKey }), 403, 'forbidden');
    const [afterwards] = await database.sql<{ count: bigint }[]>`select count(*)::bigint as count from accounts`;
    assert.equal(afterwards!.count, before!.count + 1n, 'only the customer made for this test was created');
  });
});

describe('authentication and scoping of /v1', () => {
  const routes: [string, string][] = [
    ['GET', '/v1/balance'],
    ['GET', '/v1/account-flows'],
    ['POST', '/v1/consumptions'],
    ['GET', '/v1/no-such-route'],
  ];

  test('every /v1 route refuses a missing, malformed or unknown key, and the admin token, with 401', async () => {
    const customer = await createTestAccount(api);
    const credentials: [string, RequestOptions][] = [
      ['no header', {}],
      ['the admin token', { token: testAdminToken }],
      ['an unknown key', { token: `rfk_${randomToken(40)}` }],
      ['a key one character off', { token: `${customer.apiKey.slice(0, -1)}${customer.apiKey.endsWith('a') ? 'b' : 'a'}` }],
      ['a Basic header', { headers: { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` } }],
      ['a lower-case scheme', { headers: { authorization: `bearer ${customer.apiKey}` } }],
      ['an empty bearer', { headers: { authorization: 'Bearer ' } }],
      ['an over-long bearer', { token: 'k'.repeat(5_000) }],
    ];
    for (const [method, path] of routes) {
      for (const [name, options] of credentials) {
        const response = await api.request(method, path, {
          ...options,
          ...(method === 'POST' ? { idempotencyKey: 'auth-check', body: { amount: '1.00', description: 'x' } } : {}),
        });
        assertApiError(response, 401, 'unauthorized');
        assert.ok(!response.text.includes(customer.apiKey), `${method} ${path} with ${name} echoes the key`);
      }
    }
  });

  test('a customer sees only its own balance and flows', async () => {
    const first = await fundedCustomer('30.000000');
    const second = await fundedCustomer('5.000000');
    assert.equal((await consume(first, 'scoped-1', { amount: '1.25', description: 'first only' })).status, 201);

    const firstBalance = await api.request('GET', '/v1/balance', { token: first.apiKey });
    const secondBalance = await api.request('GET', '/v1/balance', { token: second.apiKey });
    assert.equal(firstBalance.body.account_id, first.accountId);
    assert.equal(firstBalance.body.balance, '28.750000');
    assert.equal(secondBalance.body.account_id, second.accountId);
    assert.equal(secondBalance.body.balance, '5.000000');

    const firstFlows = await allFlowIds(first);
    const secondFlows = await allFlowIds(second);
    assert.equal(firstFlows.length, 2);
    assert.equal(secondFlows.length, 1);
    assert.deepEqual(firstFlows.filter((id) => secondFlows.includes(id)), []);
    // The same client key on another account is another operation, not a replay of the first's.
    const secondUse = await consume(second, 'scoped-1', { amount: '1.25', description: 'first only' });
    assert.equal(secondUse.status, 201, secondUse.text);
    assert.equal(secondUse.headers.get('idempotent-replayed'), null);
    assert.equal(secondUse.body.balance, '3.750000');
  });
});

describe('GET /v1/balance', () => {
  test('shows the balance as a six-decimal string with its currency and last change', async () => {
    const customer = await fundedCustomer('12.500000');
    const response = await api.request('GET', '/v1/balance', { token: customer.apiKey });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(Object.keys(response.body).sort(), ['account_id', 'available', 'balance', 'currency', 'held', 'updated_at']);
    assert.equal(response.body.account_id, customer.accountId);
    assert.equal(response.body.currency, 'USD');
    assert.equal(response.body.balance, '12.500000');
    assert.equal(response.body.held, '0.000000');
    assert.equal(response.body.available, '12.500000');
    assert.ok(Math.abs(Date.parse(response.body.updated_at) - Date.now()) < 60_000);
  });
});

describe('POST /v1/consumptions', () => {
  test('deducts the amount and returns the flow and the balance after it', async () => {
    const customer = await fundedCustomer('10.000000');
    const response = await consume(customer, 'order-line-1', {
      amount: '2.5',
      description: 'GPU minutes',
      user: 'user-42',
      metadata: { job: 'j-1' },
    });
    assert.equal(response.status, 201, response.text);
    assert.equal(response.headers.get('idempotent-replayed'), null);
    assert.equal(response.body.balance, '7.500000');
    const flow = response.body.flow;
    assert.match(flow.id, /^flow_\d+$/);
    assert.equal(flow.type, 'consume');
    assert.equal(flow.amount, '-2.500000');
    assert.equal(flow.balance_after, '7.500000');
    assert.equal(flow.description, 'GPU minutes');
    assert.equal(flow.user, 'user-42');
    assert.equal(flow.order_id, null);
    assert.deepEqual(flow.metadata, { job: 'j-1' });
    assert.ok(!Number.isNaN(Date.parse(flow.created_at)));

    const listed = await api.request('GET', '/v1/account-flows?type=consume', { token: customer.apiKey });
    assert.deepEqual(listed.body.data, [flow]);
    assert.equal((await api.request('GET', '/v1/balance', { token: customer.apiKey })).body.balance, '7.500000');
  });

  test('the same key and body is answered with the same flow, marked as a replay, and deducts once', async () => {
    const customer = await fundedCustomer('10.000000');
    const body = { amount: '1.000000', description: 'retry me', metadata: { b: '2', a: '1' } };
    const first = await consume(customer, 'retry-1', body);
    assert.equal(first.status, 201, first.text);
    const snapshot = await ledgerSnapshot(customer);
    // Key order inside metadata does not make it another request.
    const second = await consume(customer, 'retry-1', { ...body, metadata: { a: '1', b: '2' } });
    assert.equal(second.status, 201, second.text);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(second.body, first.body);
    assert.deepEqual(await ledgerSnapshot(customer), snapshot);
    assert.equal(snapshot.balance, '9.000000');
  });

  test('the same key with another body is refused with 409 and changes nothing', async () => {
    const customer = await fundedCustomer('10.000000');
    assert.equal((await consume(customer, 'reused', { amount: '1.00', description: 'first' })).status, 201);
    const snapshot = await ledgerSnapshot(customer);
    const changes = [
      { amount: '1.01', description: 'first' },
      { amount: '1.00', description: 'second' },
      { amount: '1.00', description: 'first', user: 'someone' },
      { amount: '1.00', description: 'first', metadata: { k: 'v' } },
    ];
    for (const body of changes) {
      assertApiError(await consume(customer, 'reused', body), 409, 'idempotency_key_reused');
    }
    assert.deepEqual(await ledgerSnapshot(customer), snapshot);
  });

  test('a deduction larger than the balance is refused with 402, and the key can be used again', async () => {
    const customer = await fundedCustomer('3.000000');
    const snapshot = await ledgerSnapshot(customer);
    assertApiError(await consume(customer, 'too-much', { amount: '3.000001', description: 'x' }), 402, 'insufficient_balance', 'amount');
    assert.deepEqual(await ledgerSnapshot(customer), snapshot);
    const exact = await consume(customer, 'too-much', { amount: '3', description: 'x' });
    assert.equal(exact.status, 201, exact.text);
    assert.equal(exact.body.balance, '0.000000');
  });

  test('a currency naming the account\'s, in any letter case, is accepted', async () => {
    const customer = await fundedCustomer('5.000000');
    const matching = await consume(customer, 'with-currency', { amount: '1.00', currency: 'usd', description: 'x' });
    assert.equal(matching.status, 201, matching.text);
  });
});

/** One request that must be refused: what is sent, and the status, code and field it must get. */
interface RefusalCase {
  name: string;
  status: number;
  code: string;
  field?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  /** null: no Idempotency-Key header. */
  idempotencyKey?: string | null;
  /** The customer's own key unless given; null sends no Authorization header. */
  token?: string | null;
}

const validBody = { amount: '1.00', description: 'usage' };

const refusalCases: RefusalCase[] = [
  { name: 'a negative amount', status: 422, code: 'invalid_amount', field: 'amount', body: { ...validBody, amount: '-1.00' } },
  { name: 'a zero amount', status: 422, code: 'invalid_amount', field: 'amount', body: { ...validBody, amount: '0' } },
  { name: 'a zero amount with decimals', status: 422, code: 'invalid_amount', field: 'amount', body: { ...validBody, amount: '0.000000' } },
  { name: 'a non-numeric amount', status: 422, code: 'invalid_amount', field: 'amount', body: { ...validBody, amount: 'ten' } },
  { name: 'an empty amount', status: 422, code: 'invalid_amount', field: 'amount', body: { ...validBody, amount: '' } },
  { name: 'an amount with a sign', status: 422, code: 'invalid_amount', field: 'amount', body: { ...validBody, amount: '+1.00' } },
  { name: 'an amount with spaces', status: 422, code: 'invalid_amount', field: 'amount', body: { ...validBody, amount: ' 1.00' } },
  { name: 'an amount with a comma', status: 422, code: 'invalid_amount', field: 'amount', body: { ...validBody, amount: '1,00' } },
  { name: 'a hexadecimal amount', status: 422, code: 'invalid_amount', field: 'amount', body: { ...validBody, amount: '0x10' } },
  { name: 'an amount as a JSON number', status: 422, code: 'invalid_amount', field: 'amount', body: { ...validBody, amount: 1 } },
  { name: 'an amount as null', status: 422, code: 'invalid_amount', field: 'amount', body: { ...validBody, amount: null } },
  { name: 'an amount with 7 decimals', status: 422, code: 'amount_too_precise', field: 'amount', body: { ...validBody, amount: '1.0000001' } },
  { name: 'an amount in exponent notation', status: 422, code: 'invalid_amount', field: 'amount', body: { ...validBody, amount: '1e30' } },
  { name: 'an amount of 20 digits', status: 422, code: 'amount_too_large', field: 'amount', body: { ...validBody, amount: '99999999999999999999' } },
  { name: 'an amount of 10,000 digits', status: 422, code: 'amount_too_large', field: 'amount', body: { ...validBody, amount: '9'.repeat(10_000) } },
  { name: 'an amount just above the limit', status: 422, code: 'amount_too_large', field: 'amount', body: { ...validBody, amount: '1000000000.000001' } },
  { name: 'a missing amount', status: 422, code: 'missing_field', field: 'amount', body: { description: 'usage' } },
  { name: 'a currency other than the account\'s', status: 422, code: 'currency_mismatch', field: 'currency', body: { ...validBody, currency: 'CNY' } },
  { name: 'a currency that is not a string', status: 422, code: 'invalid_field', field: 'currency', body: { ...validBody, currency: 840 } },
  { name: 'a missing description', status: 422, code: 'missing_field', field: 'description', body: { amount: '1.00' } },
  { name: 'an empty description', status: 422, code: 'invalid_field', field: 'description', body: { ...validBody, description: '' } },
  { name: 'an over-long description', status: 422, code: 'invalid_field', field: 'description', body: { ...validBody, description: 'd'.repeat(501) } },
  { name: 'a description with a NUL character', status: 422, code: 'invalid_field', field: 'description', body: { ...validBody, description: 'a\u0000b' } },
  { name: 'a user that is a number', status: 422, code: 'invalid_field', field: 'user', body: { ...validBody, user: 7 } },
  { name: 'a user with a NUL character', status: 422, code: 'invalid_field', field: 'user', body: { ...validBody, user: '\u0000' } },
  { name: 'metadata that is an array', status: 422, code: 'invalid_field', field: 'metadata', body: { ...validBody, metadata: ['a'] } },
  { name: 'metadata with a number value', status: 422, code: 'invalid_field', field: 'metadata.n', body: { ...validBody, metadata: { n: 1 } } },
  { name: 'metadata with a NUL in a value', status: 422, code: 'invalid_field', field: 'metadata.k', body: { ...validBody, metadata: { k: 'a\u0000' } } },
  { name: 'metadata with a NUL in a key', status: 422, code: 'invalid_field', field: 'metadata', body: { ...validBody, metadata: { 'a\u0000': 'v' } } },
  {
    name: 'metadata with too many keys',
    status: 422,
    code: 'invalid_field',
    field: 'metadata',
    body: { ...validBody, metadata: Object.fromEntries(Array.from({ length: 21 }, (_, index) => [`k${index}`, 'v'])) },
  },
  { name: 'an unknown field', status: 400, code: 'invalid_request', field: 'amount_micros', body: { ...validBody, amount_micros: '1' } },
  { name: 'a JSON array body', status: 400, code: 'invalid_request', rawBody: '[{"amount":"1.00","description":"usage"}]' },
  { name: 'a JSON null body', status: 400, code: 'invalid_request', rawBody: 'null' },
  { name: 'a JSON string body', status: 400, code: 'invalid_request', rawBody: '"1.00"' },
  { name: 'a JSON number body', status: 400, code: 'invalid_request', rawBody: '1' },
  // express.json() reads an empty JSON body as {}, so what is missing is named.
  { name: 'an empty body', status: 422, code: 'missing_field', field: 'amount', rawBody: '' },
  { name: 'malformed JSON', status: 400, code: 'invalid_json', rawBody: '{"amount": "1.00", ' },
  { name: 'JSON with a trailing comma', status: 400, code: 'invalid_json', rawBody: '{"amount": "1.00",}' },
  {
    name: 'a body over the 64kb limit',
    status: 413,
    code: 'payload_too_large',
    body: { ...validBody, description: 'x'.repeat(overLimitBodyBytes) },
  },
  { name: 'a text/plain body', status: 415, code: 'unsupported_media_type', rawBody: JSON.stringify(validBody), headers: { 'content-type': 'text/plain' } },
  {
    name: 'a form-encoded body',
    status: 415,
    code: 'unsupported_media_type',
    rawBody: 'amount=1.00&description=usage',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  },
  {
    name: 'a JSON body in a charset other than UTF-8',
    status: 415,
    code: 'unsupported_media_type',
    rawBody: JSON.stringify(validBody),
    headers: { 'content-type': 'application/json; charset=latin1' },
  },
  { name: 'no Idempotency-Key', status: 400, code: 'idempotency_key_required', body: validBody, idempotencyKey: null },
  { name: 'an empty Idempotency-Key', status: 400, code: 'idempotency_key_invalid', body: validBody, idempotencyKey: '' },
  { name: 'an Idempotency-Key of 256 characters', status: 400, code: 'idempotency_key_invalid', body: validBody, idempotencyKey: 'k'.repeat(256) },
  { name: 'an Idempotency-Key with a space', status: 400, code: 'idempotency_key_invalid', body: validBody, idempotencyKey: 'has space' },
  { name: 'an Idempotency-Key with a tab', status: 400, code: 'idempotency_key_invalid', body: validBody, idempotencyKey: 'has\ttab' },
  { name: 'no API key', status: 401, code: 'unauthorized', body: validBody, token: null },
  { name: 'an unknown API key', status: 401, code: 'unauthorized', body: validBody, token: `rfk_${'0'.repeat(40)}` },
  { name: 'the admin token', status: 401, code: 'unauthorized', body: validBody, token: testAdminToken },
];

describe('refused consumptions change nothing', () => {
  test('a key of exactly 255 printable characters is accepted', async () => {
    const customer = await fundedCustomer('1.000000');
    const key = `${'k'.repeat(200)}~!#$%&'()*+,-./:;<=>?@[]^_\`{|}`.padEnd(255, 'z');
    assert.equal(key.length, 255);
    const response = await consume(customer, key, validBody);
    assert.equal(response.status, 201, response.text);
  });

  for (const refusal of refusalCases) {
    test(`${refusal.name}: ${refusal.status} ${refusal.code}`, async () => {
      const customer = await fundedCustomer('1000.000000');
      const snapshot = await ledgerSnapshot(customer);
      const token = refusal.token === undefined ? customer.apiKey : refusal.token;
      const idempotencyKey = refusal.idempotencyKey === undefined ? `refusal-${randomToken(8)}` : refusal.idempotencyKey;
      const response = await api.request('POST', '/v1/consumptions', {
        ...(token === null ? {} : { token }),
        ...(idempotencyKey === null ? {} : { idempotencyKey }),
        ...(refusal.rawBody === undefined ? { body: refusal.body } : { rawBody: refusal.rawBody }),
        ...(refusal.headers === undefined ? {} : { headers: refusal.headers }),
      });
      assertApiError(response, refusal.status, refusal.code, refusal.field);
      assert.deepEqual(await ledgerSnapshot(customer), snapshot);
    });
  }

  test('an insufficient balance is refused with nothing recorded', async () => {
    const customer = await fundedCustomer('0.999999');
    const snapshot = await ledgerSnapshot(customer);
    assertApiError(await consume(customer, 'short', validBody), 402, 'insufficient_balance');
    assert.deepEqual(await ledgerSnapshot(customer), snapshot);
  });
});

describe('GET /v1/account-flows', () => {
  test('lists recharges and consumptions newest first, filtered by type', async () => {
    const customer = await fundedCustomer('20.000000');
    for (let index = 0; index < 3; index += 1) {
      assert.equal((await consume(customer, `list-${index}`, { amount: `${index + 1}.00`, description: `use ${index}` })).status, 201);
    }
    const all = await api.request('GET', '/v1/account-flows', { token: customer.apiKey });
    assert.equal(all.status, 200, all.text);
    assert.equal(all.body.next_cursor, null);
    const flows = all.body.data as Record<string, unknown>[];
    assert.deepEqual(flows.map((flow) => [flow.type, flow.amount, flow.balance_after]), [
      ['consume', '-3.000000', '14.000000'],
      ['consume', '-2.000000', '17.000000'],
      ['consume', '-1.000000', '19.000000'],
      ['recharge', '20.000000', '20.000000'],
    ]);
    for (const key of ['id', 'type', 'amount', 'balance_after', 'description', 'user', 'order_id', 'created_at']) {
      assert.ok(flows.every((flow) => key in flow), `every flow has ${key}`);
    }
    assert.match(String(flows[3]!.order_id), /^ord_/);

    const recharges = await api.request('GET', '/v1/account-flows?type=recharge', { token: customer.apiKey });
    assert.deepEqual((recharges.body.data as { type: string }[]).map((flow) => flow.type), ['recharge']);
    const consumptions = await api.request('GET', '/v1/account-flows?type=consume&limit=2', { token: customer.apiKey });
    assert.deepEqual((consumptions.body.data as { description: string }[]).map((flow) => flow.description), ['use 2', 'use 1']);
    const rest = await api.request('GET', `/v1/account-flows?type=consume&limit=2&cursor=${consumptions.body.next_cursor}`, {
      token: customer.apiKey,
    });
    assert.deepEqual((rest.body.data as { description: string }[]).map((flow) => flow.description), ['use 0']);
    assert.equal(rest.body.next_cursor, null);
    const refunds = await api.request('GET', '/v1/account-flows?type=refund', { token: customer.apiKey });
    assert.deepEqual(refunds.body, { data: [], next_cursor: null });
  });

  test('pages without duplicates or gaps while new flows are being added', async () => {
    const customer = await fundedCustomer('1000.000000');
    const existingCount = 40;
    await Promise.all(
      Array.from({ length: existingCount }, (_, index) => consume(customer, `before-${index}`, { amount: '0.01', description: 'before' })),
    );
    const existing = await allFlowIds(customer);
    assert.equal(existing.length, existingCount + 1);

    // Every page is fetched while two more consumptions are in flight, so writes land between pages.
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    let written = 0;
    do {
      const writes: Promise<TestResponse>[] = [0, 1].map(() => {
        written += 1;
        return consume(customer, `during-${written}`, { amount: '0.01', description: 'during' });
      });
      const pagePath: string = `/v1/account-flows?limit=7${cursor === null ? '' : `&cursor=${cursor}`}`;
      const [page, ...responses] = await Promise.all([api.request('GET', pagePath, { token: customer.apiKey }), ...writes]);
      assert.equal(page!.status, 200, page!.text);
      for (const response of responses) assert.equal(response.status, 201, response.text);
      seen.push(...(page!.body.data as { id: string }[]).map((flow) => flow.id));
      cursor = page!.body.next_cursor;
      pages += 1;
      assert.ok(pages < 100, 'pagination does not end');
    } while (cursor !== null);

    assert.equal(new Set(seen).size, seen.length, 'a flow was listed twice');
    const missing = existing.filter((id) => !seen.includes(id));
    assert.deepEqual(missing, [], 'a flow that existed before paging began was skipped');
    const numbers = seen.map(flowNumber);
    assert.ok(numbers.every((value, index) => index === 0 || value < numbers[index - 1]!), 'pages are newest first throughout');
    // Only flows newer than the first page can have been added; they were written during paging.
    const added = seen.filter((id) => !existing.includes(id));
    assert.ok(added.every((id) => flowNumber(id) > flowNumber(existing[0]!)));
    assert.equal((await allFlowIds(customer)).length, existingCount + 1 + written);
  });

  test('refuses unknown types, bad limits and foreign or damaged cursors with 400', async () => {
    const owner = await fundedCustomer('5.000000');
    const other = await fundedCustomer('5.000000');
    for (let index = 0; index < 3; index += 1) {
      assert.equal((await consume(owner, `c-${index}`, validBody)).status, 201);
    }
    const page = await api.request('GET', '/v1/account-flows?limit=1', { token: owner.apiKey });
    const ownerCursor = page.body.next_cursor as string;
    assert.equal(typeof ownerCursor, 'string');
    assert.equal((await api.request('GET', `/v1/account-flows?cursor=${ownerCursor}`, { token: owner.apiKey })).status, 200);

    const queries: [string, string, string][] = [
      ['type=bonus', 'invalid_query_parameter', 'type'],
      ['type=', 'invalid_query_parameter', 'type'],
      ['type=consume&type=recharge', 'invalid_query_parameter', 'type'],
      ['type=CONSUME', 'invalid_query_parameter', 'type'],
      ['limit=0', 'invalid_query_parameter', 'limit'],
      ['limit=101', 'invalid_query_parameter', 'limit'],
      ['limit=1000000', 'invalid_query_parameter', 'limit'],
      ['limit=99999999999999999999', 'invalid_query_parameter', 'limit'],
      ['limit=-1', 'invalid_query_parameter', 'limit'],
      ['limit=ten', 'invalid_query_parameter', 'limit'],
      ['limit=1.5', 'invalid_query_parameter', 'limit'],
      ['limit=', 'invalid_query_parameter', 'limit'],
      ['cursor=', 'invalid_cursor', 'cursor'],
      ['cursor=%%%', 'invalid_cursor', 'cursor'],
      ['cursor=not-a-cursor', 'invalid_cursor', 'cursor'],
      [`cursor=${ownerCursor.slice(0, 12)}`, 'invalid_cursor', 'cursor'],
      [`cursor=${ownerCursor.slice(0, -2)}!`, 'invalid_cursor', 'cursor'],
      [`cursor=${ownerCursor}&cursor=${ownerCursor}`, 'invalid_cursor', 'cursor'],
      [`cursor=${Buffer.from('order:12').toString('base64url')}`, 'invalid_cursor', 'cursor'],
      [`cursor=${Buffer.from('flow:12').toString('base64url')}`, 'invalid_cursor', 'cursor'],
      [`cursor=${Buffer.from(`flow:${owner.accountId}:99999999999999999999`).toString('base64url')}`, 'invalid_cursor', 'cursor'],
      [`cursor=${Buffer.from(`flow:${owner.accountId}:9999999999999999999`).toString('base64url')}`, 'invalid_cursor', 'cursor'],
      [`cursor=${'A'.repeat(5_000)}`, 'invalid_cursor', 'cursor'],
    ];
    for (const [query, code, field] of queries) {
      const response = await api.request('GET', `/v1/account-flows?${query}`, { token: owner.apiKey });
      assert.equal(response.status, 400, `${query.slice(0, 100)} → ${response.status}`);
      assertApiError(response, 400, code, field);
    }
    // A cursor is bound to the account whose list it came from.
    const foreign = await api.request('GET', `/v1/account-flows?cursor=${ownerCursor}`, { token: other.apiKey });
    assertApiError(foreign, 400, 'invalid_cursor', 'cursor');
  });
});

describe('health', () => {
  test('/healthz is up, and /readyz reports Postgres and Temporal up, and no worker on this API\'s task queue', async () => {
    const live = await api.request('GET', '/healthz');
    assert.equal(live.status, 200, live.text);
    const ready = await api.request('GET', '/readyz');
    // No worker polls this file's task queue, so no order could be created: not ready.
    assert.equal(ready.status, 503, ready.text);
    assert.equal(ready.body.checks.postgres, 'up');
    assert.equal(ready.body.checks.temporal, 'up');
    assert.equal(ready.body.checks.worker, 'absent');
  });

  test('with Postgres unreachable, /readyz is 503 naming it, and a /v1 request is 503, not 500', async () => {
    const deadUrl = `postgres://postgres:postgres@127.0.0.1:${await freePort()}/postgres`;
    const deadSql = createSql({ url: deadUrl, poolSize: 1, applicationName: 'refill-test-dead' });
    const deadApi = await startTestApi({ sql: deadSql, databaseUrl: deadUrl });
    try {
      const ready = await deadApi.request('GET', '/readyz');
      assert.equal(ready.status, 503, ready.text);
      assert.equal(ready.body.checks.postgres, 'down');
      assert.equal(ready.body.checks.temporal, 'up');
      assert.equal((await deadApi.request('GET', '/healthz')).status, 200);
      const balance = await deadApi.request('GET', '/v1/balance', { token: `rfk_${randomToken(40)}` });
      assertApiError(balance, 503, 'service_unavailable');
    } finally {
      await deadApi.close();
      await closeSql(deadSql, 0);
    }
  });
});

describe('concurrency over HTTP', () => {
  test('30 parallel consumptions with 10 keys sent 3 times each deduct exactly 10 times', async () => {
    const customer = await fundedCustomer('100.000000');
    const requests = Array.from({ length: 30 }, (_, index) =>
      consume(customer, `parallel-${index % 10}`, { amount: '1.50', description: `parallel ${index % 10}` }),
    );
    const responses = await Promise.all(requests);
    for (const response of responses) assert.equal(response.status, 201, response.text);
    const flowIds = new Set(responses.map((response) => response.body.flow.id as string));
    assert.equal(flowIds.size, 10);
    const replays = responses.filter((response) => response.headers.get('idempotent-replayed') === 'true');
    assert.equal(replays.length, 20);

    const [counts] = await database.sql<{ count: bigint }[]>`
      select count(*)::bigint as count from transfers where account_id = ${customer.accountId} and flow_type = 'consume'`;
    assert.equal(counts!.count, 10n);
    const balance = await api.request('GET', '/v1/balance', { token: customer.apiKey });
    assert.equal(balance.body.balance, '85.000000');
    const consumed = await allFlowIds(customer, 'type=consume');
    assert.deepEqual(new Set(consumed), flowIds);
    assert.deepEqual(await checkLedgerInvariants(database.sql), []);
  });
});

/** An odd request: each must be answered, and never with a 5xx. */
interface FuzzCase {
  method: string;
  path: string;
  body?: unknown;
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  auth?: 'customer' | 'admin' | 'none';
}

function fuzzCases(): FuzzCase[] {
  const consumption = (body: unknown, headers?: Record<string, string>): FuzzCase => ({
    method: 'POST',
    path: '/v1/consumptions',
    body,
    headers: { 'idempotency-key': `fuzz-${randomToken(10)}`, ...headers },
  });
  const raw = (rawBody: string | Buffer, headers?: Record<string, string>): FuzzCase => ({
    method: 'POST',
    path: '/v1/consumptions',
    rawBody,
    headers: { 'idempotency-key': `fuzz-${randomToken(10)}`, ...headers },
  });
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  return [
    consumption({}),
    consumption({ amount: {} }),
    consumption({ amount: [] }),
    consumption({ amount: true }),
    consumption({ amount: '1'.padEnd(65_000, '0') }),
    consumption({ amount: '0.' + '0'.repeat(5_000) + '1' }),
    consumption({ amount: '１.００', description: 'full-width digits' }),
    consumption({ amount: 'NaN', description: 'x' }),
    consumption({ amount: 'Infinity', description: 'x' }),
    consumption({ amount: '1.00', description: '\ud800 lone surrogate' }),
    consumption({ amount: '1.00', description: '😀'.repeat(300) }),
    consumption(JSON.parse('{"amount":"1.00","description":"x","metadata":{"__proto__":"x"}}')),
    consumption(JSON.parse('{"amount":"1.00","description":"x","metadata":{"__proto__":{"polluted":"yes"}}}')),
    consumption(JSON.parse('{"__proto__":{"amount":"1.00"},"description":"x"}')),
    consumption({ amount: '1.00', description: 'x', constructor: { prototype: {} } }),
    consumption({ amount: '1.00', description: 'x', metadata: { ['k'.repeat(41)]: 'v' } }),
    consumption({ amount: '1.00', description: 'x', metadata: { k: 'v'.repeat(501) } }),
    consumption({ amount: '1.00', description: 'x', metadata: { '': 'v' } }),
    consumption({ amount: '1.00', description: 'x', metadata: null }),
    consumption({ amount: '1.00', description: 'x', currency: '' }),
    consumption({ amount: '1.00', description: 'x', currency: 'ＵＳＤ' }),
    consumption({ amount: '1.00', description: 'x', user: '' }),
    consumption({ amount: '1.00', description: 'x', user: 'u'.repeat(201) }),
    raw(nested(5_000)),
    raw(`{"metadata":${'{"a":'.repeat(3_000)}"v"${'}'.repeat(3_000)}}`),
    raw('{"amount":"1.00","amount":"2.00","description":"duplicate keys"}'),
    raw('\ufeff{"amount":"1.00","description":"byte order mark"}'),
    raw(Buffer.from([0xff, 0xfe, 0x00, 0x7b])),
    raw(Buffer.from('{"amount":"1.00","description":"\xff"}', 'latin1')),
    raw('{"amount":"1.00","description":"x"}', { 'content-encoding': 'gzip' }),
    raw('{"amount":"1.00","description":"x"}', { 'content-encoding': 'zstd-unknown' }),
    raw('{"amount":"1.00","description":"x"}', { 'content-type': 'application/json; charset=utf-16' }),
    raw('{"amount":"1.00","description":"x"}', { 'content-type': 'application/vnd.api+json' }),
    raw('{"amount":"1.00","description":"x"}', { 'content-type': '' }),
    raw('{"amount":"1.00","description":"x"}', { 'content-type': 'application/json; boundary="' }),
    consumption({ amount: '1.00', description: 'x' }, { 'idempotency-key': 'é-latin1' }),
    consumption({ amount: '1.00', description: 'x' }, { 'idempotency-key': 'a'.repeat(10_000) }),
    { method: 'POST', path: '/v1/consumptions', body: { amount: '1.00', description: 'x' }, auth: 'none' },
    { method: 'POST', path: '/v1/consumptions', body: { amount: '1.00', description: 'x' }, headers: { authorization: 'Bearer' } },
    { method: 'POST', path: '/v1/consumptions', body: { amount: '1.00', description: 'x' }, headers: { authorization: 'Bearer a b' } },
    { method: 'PUT', path: '/v1/consumptions', body: { amount: '1.00', description: 'x' } },
    { method: 'DELETE', path: '/v1/balance' },
    { method: 'GET', path: '/v1/account-flows?limit=1e2' },
    { method: 'GET', path: '/v1/account-flows?type[]=consume' },
    { method: 'GET', path: '/v1/account-flows?type=__proto__' },
    { method: 'GET', path: '/v1/account-flows?cursor=Zmxvdzox&limit=5&extra=1' },
    { method: 'GET', path: `/v1/account-flows?cursor=${encodeURIComponent('flow:1')}` },
    { method: 'GET', path: '/v1/%E0%A4%A' },
    { method: 'GET', path: '/v1/balance/../balance' },
    { method: 'POST', path: '/v1/balance', rawBody: '{"x":' },
    { method: 'POST', path: '/admin/accounts', body: { email: 'a\u0000@example.com', currency: 'USD' }, auth: 'admin' },
    { method: 'POST', path: '/admin/accounts', body: { email: `${'a'.repeat(400)}@example.com`, currency: 'USD' }, auth: 'admin' },
    { method: 'POST', path: '/admin/accounts', body: { email: 'a@example.com', currency: ['USD'] }, auth: 'admin' },
    { method: 'POST', path: '/admin/accounts', body: { email: 'a@example.com', currency: 'USD', admin: true }, auth: 'admin' },
    { method: 'POST', path: '/admin/accounts', rawBody: 'null', auth: 'admin' },
    { method: 'POST', path: '/admin/accounts', body: { email: 'a@example.com', currency: 'USD' }, auth: 'customer' },
    { method: 'GET', path: '/admin/accounts', auth: 'admin' },
  ];
}

describe('fuzzing', () => {
  test('no odd body, header or query produces a 5xx, and every refusal has the error shape', async () => {
    const customer = await fundedCustomer('100.000000');
    const cases = fuzzCases();
    assert.ok(cases.length >= 50);
    const failures: string[] = [];
    for (const fuzz of cases) {
      const auth = fuzz.auth ?? 'customer';
      const options: RequestOptions = { ...(fuzz.headers === undefined ? {} : { headers: fuzz.headers }) };
      if (auth === 'customer') options.token = customer.apiKey;
      if (auth === 'admin') options.token = testAdminToken;
      if (fuzz.rawBody !== undefined) options.rawBody = fuzz.rawBody;
      else if (fuzz.body !== undefined) options.body = fuzz.body;
      const sent = fuzz.body === undefined ? String(fuzz.rawBody ?? '') : JSON.stringify(fuzz.body);
      const label = `${fuzz.method} ${fuzz.path.slice(0, 80)} ${sent.slice(0, 80)} ${JSON.stringify(fuzz.headers ?? {}).slice(0, 120)}`;
      const response = await api.request(fuzz.method, fuzz.path, options);
      const wellFormed = response.status < 400 || typeof response.body?.error?.code === 'string';
      if (response.status >= 500 || !wellFormed) failures.push(`${label} → ${response.status} ${response.text.slice(0, 300)}`);
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(await checkLedgerInvariants(database.sql), []);
    const prototypeProbe: Record<string, unknown> = {};
    assert.equal(prototypeProbe.polluted, undefined, 'a body polluted Object.prototype');
  });
});
