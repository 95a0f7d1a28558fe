// The API's edge under hostile input (issue 10: findings 2, 3, 8 and 9): text that is not text, return
// URLs that lead elsewhere, malformed paths and HTTP, floods of wrong keys and of creations, security
// headers, request ids, and slow connections. Each answer is the JSON error shape, and nothing is stored
// or started for a refused request.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { createApp, createHttpServer } from '../api/app.ts';
import { ConfigError, loadConfig } from '../config/config.ts';
import { loadPricing } from '../config/pricing.ts';
import { LedgerBatcher } from '../db/ledger/ledger-batcher.ts';
import { recordRecharge } from '../db/ledger/record-recharge.ts';
import { errorCodes } from '../domain/errors.ts';
import { orderWorkflowId } from '../domain/orders.ts';
import type { Pricing } from '../domain/pricing.ts';
import { orderIdFor, randomToken } from '../ids/ids.ts';
import { createLogger } from '../observability/logger.ts';
import { createTestAccount, startTestApi, testAdminToken, type RequestOptions, type TestApi, type TestResponse } from './support/api.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { testTemporalAddress } from './support/environment.ts';
import { startTestPipeline, type TestPipeline } from './support/pipeline.ts';
import { openRawConnection, parseRawResponse, rawExchange } from './support/raw-http.ts';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase(20);
});
after(async () => {
  await database.close();
});

/** An API on this file's database; closed after the describe block that started it. */
async function apiWith(environment: Record<string, string> = {}): Promise<TestApi> {
  return startTestApi({ sql: database.sql, databaseUrl: database.url, environment });
}

function assertError(response: TestResponse, status: number, code: string, field?: string): void {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status} ${response.text}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(response.body?.error?.code, code, response.text);
  assert.equal(typeof response.body.error.message, 'string');
  if (field !== undefined) assert.equal(response.body.error.field, field, response.text);
}

async function fund(accountId: string, credit: string): Promise<void> {
  const creditMicros = BigInt(Math.round(Number(credit) * 1_000_000));
  await recordRecharge(database.sql, {
    orderId: `ord_${randomToken()}`,
    accountId,
    currency: 'USD',
    payAmountMicros: creditMicros,
    creditMicros,
    description: 'test top-up',
  });
}

async function rowCounts() {
  const [counts] = await database.sql<{ accounts: bigint; transfers: bigint; orders: bigint; promo_codes: bigint }[]>`
    select (select count(*) from accounts)::bigint as accounts, (select count(*) from transfers)::bigint as transfers,
           (select count(*) from orders)::bigint as orders, (select count(*) from promo_codes)::bigint as promo_codes`;
  return counts!;
}

/** Strings that are not text: every C0 control (tab and line breaks too), DEL, C1 controls, lone surrogates. */
const nonText: [string, string][] = [
  ['NUL', 'a\u0000b'],
  ['SOH', 'a\u0001b'],
  ['a tab', 'a\tb'],
  ['a line feed', 'a\nb'],
  ['a carriage return', 'a\rb'],
  ['ESC', '\u001b[31mred'],
  ['unit separator', 'a\u001fb'],
  ['DEL', 'a\u007fb'],
  ['NEL (C1)', 'a\u0085b'],
  ['APC (C1)', 'a\u009fb'],
  ['a lone high surrogate', 'a\ud800b'],
  ['a lone low surrogate', 'a\udc00b'],
  ['a high surrogate at the end', 'ab\udbff'],
];

describe('text fields refuse control characters and lone surrogates (finding 2)', () => {
  let api: TestApi;
  before(async () => {
    api = await apiWith();
  });
  after(async () => {
    await api.close();
  });

  test('every text field of every body answers 422 invalid_field naming the field, and nothing is stored', async () => {
    const usd = await createTestAccount(api, 'USD');
    const cny = await createTestAccount(api, 'CNY');
    const before = await rowCounts();
    type Case = [description: string, method: string, path: string, options: RequestOptions, build: (value: string) => unknown, field: string];
    const customer = (key: string): RequestOptions => ({ token: key, idempotencyKey: `text-${randomToken(8)}` });
    const admin: RequestOptions = { token: testAdminToken };
    const bankTransfer = { remitter_name: 'Li Lei', bank_name: 'ICBC', agreement_accepted: true };
    const cases: Case[] = [
      ['a consumption description', 'POST', '/v1/consumptions', customer(usd.apiKey), (value) => ({ amount: '1', description: value }), 'description'],
      ['a consumption user', 'POST', '/v1/consumptions', customer(usd.apiKey), (value) => ({ amount: '1', description: 'x', user: value }), 'user'],
      ['a metadata value', 'POST', '/v1/consumptions', customer(usd.apiKey), (value) => ({ amount: '1', description: 'x', metadata: { k: value } }), 'metadata.k'],
      ['a metadata key', 'POST', '/v1/consumptions', customer(usd.apiKey), (value) => ({ amount: '1', description: 'x', metadata: { [value]: 'v' } }), 'metadata'],
      ['a consumption currency', 'POST', '/v1/consumptions', customer(usd.apiKey), (value) => ({ amount: '1', description: 'x', currency: value }), 'currency'],
      ['an account email', 'POST', '/admin/accounts', admin, (value) => ({ email: `${value}@example.com`, currency: 'USD' }), 'email'],
      ['an account currency', 'POST', '/admin/accounts', admin, (value) => ({ email: 'text@example.com', currency: value }), 'currency'],
      ['a promo code description', 'POST', '/admin/promo-codes', admin, (value) => ({ code: 'TEXT10', kind: 'bonus_percent', percent: '10', currency: 'USD', description: value }), 'description'],
      ['a promo code', 'POST', '/admin/promo-codes', admin, (value) => ({ code: `TX${value}`, kind: 'bonus_percent', percent: '10', currency: 'USD' }), 'code'],
      ['a quote promo code', 'POST', '/v1/topup-quotes', { token: usd.apiKey }, (value) => ({ amount: '20', payment_method: 'stripe', promo_code: value }), 'promo_code'],
      ['a quote package id', 'POST', '/v1/topup-quotes', { token: usd.apiKey }, (value) => ({ package_id: value, payment_method: 'stripe' }), 'package_id'],
      ['a top-up success_url', 'POST', '/v1/topups', customer(usd.apiKey), (value) => ({ amount: '20', payment_method: 'stripe', success_url: `http://localhost/${value}` }), 'success_url'],
      ['a remitter name', 'POST', '/v1/topups', customer(cny.apiKey), (value) => ({ amount: '60', payment_method: 'bank_transfer', bank_transfer: { ...bankTransfer, remitter_name: value } }), 'bank_transfer.remitter_name'],
      ['bank transfer remarks', 'POST', '/v1/topups', customer(cny.apiKey), (value) => ({ amount: '60', payment_method: 'bank_transfer', bank_transfer: { ...bankTransfer, remarks: value } }), 'bank_transfer.remarks'],
    ];
    for (const [description, method, path, options, build, field] of cases) {
      for (const [name, value] of nonText) {
        const response = await api.request(method, path, { ...options, body: build(value) });
        assertError(response, 422, 'invalid_field', field);
        assert.ok(response.body.error.message.startsWith(field), `${description} with ${name}: ${response.text}`);
      }
    }
    assert.deepEqual(await rowCounts(), before, 'a refused body stored nothing');
  });

  test('text with emoji, accents and other scripts is still accepted', async () => {
    const customer = await createTestAccount(api, 'USD');
    await fund(customer.accountId, '1');
    const response = await api.request('POST', '/v1/consumptions', {
      token: customer.apiKey,
      idempotencyKey: 'text-ok',
      body: { amount: '0.5', description: 'Café 💸 résumé — 中文 ✓', user: 'zoë', metadata: { 'clé': 'valeur 🙂' } },
    });
    assert.equal(response.status, 201, response.text);
    assert.equal(response.body.flow.description, 'Café 💸 résumé — 中文 ✓');
  });

  test('a key with a control character at the top of a body is refused too', async () => {
    const customer = await createTestAccount(api, 'USD');
    const response = await api.request('POST', '/v1/consumptions', {
      token: customer.apiKey,
      idempotencyKey: 'text-key',
      rawBody: '{"amount":"1","description":"x","a\\u0000b":1}',
    });
    assertError(response, 422, 'invalid_field');
  });

  // (A lone surrogate cannot reach a query: percent-decoding turns invalid UTF-8 into U+FFFD.)
  test('a query value with a control character is 400 invalid_query_parameter naming it', async () => {
    const customer = await createTestAccount(api, 'USD');
    for (const [path, field] of [
      ['/v1/topups?status=pending%00', 'status'],
      ['/v1/account-flows?type=%0Aconsume', 'type'],
      ['/v1/invoices?cursor=%1B', 'cursor'],
      ['/v1/topups?limit=1%7F', 'limit'],
    ] as const) {
      assertError(await api.request('GET', path, { token: customer.apiKey }), 400, 'invalid_query_parameter', field);
    }
    assertError(await api.request('GET', '/admin/topups?reference=RF%01', { token: testAdminToken }), 400, 'invalid_query_parameter', 'reference');
  });
});

describe('success_url and cancel_url (findings 2 and 9)', () => {
  let pipeline: TestPipeline;
  before(async () => {
    pipeline = await startTestPipeline({ environment: { ALLOWED_REDIRECT_HOSTS: 'shop.example.com, localhost' } });
  });
  after(async () => {
    await pipeline.close();
  });

  async function assertNothingStarted(accountId: string, idempotencyKey: string): Promise<void> {
    const orderId = orderIdFor(accountId, idempotencyKey);
    const rows = await pipeline.database.sql`select id from orders where id = ${orderId}`;
    assert.equal(rows.length, 0, `an order was recorded for ${idempotencyKey}`);
    await assert.rejects(pipeline.api.temporalClient.workflow.getHandle(orderWorkflowId(orderId)).describe(), WorkflowNotFoundError);
  }

  test('a NUL in success_url is 422 at once; no order or workflow exists, and the key works afterwards', async () => {
    const { api } = pipeline;
    const customer = await createTestAccount(api, 'USD');
    const idempotencyKey = 'nul-in-success-url';
    const refused = await api.request('POST', '/v1/topups', {
      token: customer.apiKey,
      idempotencyKey,
      body: { package_id: 'usd_20', payment_method: 'stripe', success_url: 'https://shop.example.com/paid\u0000', cancel_url: 'https://shop.example.com/back' },
    });
    assertError(refused, 422, 'invalid_field', 'success_url');
    await assertNothingStarted(customer.accountId, idempotencyKey);

    const accepted = await api.request('POST', '/v1/topups', {
      token: customer.apiKey,
      idempotencyKey,
      body: { package_id: 'usd_20', payment_method: 'stripe', success_url: 'https://shop.example.com/paid', cancel_url: 'https://shop.example.com/back' },
    });
    assert.equal(accepted.status, 201, accepted.text);
    assert.equal(accepted.body.id, orderIdFor(customer.accountId, idempotencyKey));
  });

  test('URLs that are not http(s), longer than 2,048 characters, or not text are 422 invalid_field', async () => {
    const { api } = pipeline;
    const customer = await createTestAccount(api, 'USD');
    const cases: [string, string][] = [
      ['cancel_url', 'ftp://shop.example.com/file'],
      ['success_url', 'javascript:alert(document.cookie)'],
      ['success_url', 'data:text/html,<h1>paid</h1>'],
      ['cancel_url', '//shop.example.com/no-scheme'],
      ['success_url', `https://shop.example.com/${'a'.repeat(2_049 - 'https://shop.example.com/'.length)}`],
      ['cancel_url', 'https://shop.example.com/\u0001'],
      ['success_url', 'https://shop.example.com/\ud800'],
      ['success_url', ''],
    ];
    for (const [field, url] of cases) {
      const idempotencyKey = `bad-url-${randomToken(8)}`;
      const response = await api.request('POST', '/v1/topups', { token: customer.apiKey, idempotencyKey, body: { amount: '20', payment_method: 'stripe', [field]: url } });
      assertError(response, 422, 'invalid_field', field);
      await assertNothingStarted(customer.accountId, idempotencyKey);
    }
  });

  test('a host outside ALLOWED_REDIRECT_HOSTS is 422 redirect_not_allowed; listed hosts (any port, any case) are accepted', async () => {
    const { api } = pipeline;
    const customer = await createTestAccount(api, 'USD');
    const refused: [string, string][] = [
      ['success_url', 'https://evil.example/paid'],
      ['cancel_url', 'https://shop.example.com.evil.example/back'],
      ['success_url', 'https://shop.example.com@evil.example/paid'],
      ['cancel_url', 'http://127.0.0.1/back'],
      ['success_url', 'https://sub.shop.example.com/paid'],
    ];
    for (const [field, url] of refused) {
      const idempotencyKey = `foreign-${randomToken(8)}`;
      const response = await api.request('POST', '/v1/topups', { token: customer.apiKey, idempotencyKey, body: { amount: '20', payment_method: 'stripe', [field]: url } });
      assertError(response, 422, 'redirect_not_allowed', field);
      await assertNothingStarted(customer.accountId, idempotencyKey);
    }
    const longest = `https://shop.example.com/${'a'.repeat(2_048 - 'https://shop.example.com/'.length)}`;
    const accepted = await api.request('POST', '/v1/topups', {
      token: customer.apiKey,
      idempotencyKey: 'allowed-hosts',
      body: { amount: '20', payment_method: 'stripe', success_url: longest, cancel_url: 'http://LOCALHOST:8080/back' },
    });
    assert.equal(accepted.status, 201, accepted.text);
  });

  test('a bank transfer order with a return URL is 400 invalid_request, not silently dropped', async () => {
    const { api } = pipeline;
    const customer = await createTestAccount(api, 'CNY');
    const response = await api.request('POST', '/v1/topups', {
      token: customer.apiKey,
      idempotencyKey: 'bank-with-url',
      body: { amount: '60', payment_method: 'bank_transfer', bank_transfer: { remitter_name: 'Li Lei', bank_name: 'ICBC', agreement_accepted: true }, cancel_url: 'https://shop.example.com/x' },
    });
    assertError(response, 400, 'invalid_request', 'cancel_url');
    await assertNothingStarted(customer.accountId, 'bank-with-url');
  });
});

describe('configuration of the edge', () => {
  const base = { DATABASE_URL: 'postgres://localhost/refill', ADMIN_TOKEN: testAdminToken };

  test('the redirect allow-list defaults to the public base URL host and localhost', () => {
    assert.deepEqual(loadConfig({ ...base, PUBLIC_BASE_URL: 'https://pay.example.com/' }).http.allowedRedirectHosts, ['pay.example.com', 'localhost']);
    assert.deepEqual(loadConfig(base).http.allowedRedirectHosts, ['localhost']);
    // Names are compared as the URL parser writes a host: lower case, internationalised names in punycode.
    assert.deepEqual(loadConfig({ ...base, ALLOWED_REDIRECT_HOSTS: ' Shop.Example.com, bücher.example ,localhost' }).http.allowedRedirectHosts, [
      'shop.example.com',
      'xn--bcher-kva.example',
      'localhost',
    ]);
  });

  test('bad values stop the process with one line naming the variable', () => {
    const bad: [string, string][] = [
      ['ALLOWED_REDIRECT_HOSTS', 'https://shop.example.com'],
      ['ALLOWED_REDIRECT_HOSTS', 'shop.example.com/path'],
      ['ALLOWED_REDIRECT_HOSTS', ','],
      ['RATE_LIMIT_ORDERS_PER_KEY', '-1'],
      ['RATE_LIMIT_WINDOW_SECONDS', '0'],
      ['HTTP_HEADERS_TIMEOUT_SECONDS', '31'],
      ['TRUST_PROXY_HOPS', 'true'],
    ];
    for (const [name, value] of bad) {
      assert.throws(() => loadConfig({ ...base, [name]: value }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, new RegExp(`^Invalid configuration: ${name} `));
        assert.ok(!error.message.includes('\n'));
        return true;
      });
    }
  });
});

describe('malformed paths and malformed HTTP (findings 3 and 8)', () => {
  let api: TestApi;
  before(async () => {
    // Without Stripe keys, so the sandbox pages are mounted.
    api = await apiWith();
  });
  after(async () => {
    await api.close();
  });

  test('malformed percent-encoding in a path is 400 invalid_path on every router, authenticated or not', async () => {
    const customer = await createTestAccount(api, 'USD');
    const cases: [string, RequestOptions][] = [
      ['/v1/topups/%ZZ', { token: customer.apiKey }],
      ['/v1/topups/%', { token: customer.apiKey }],
      ['/v1/topups/%E0%A4%A/cancel', { token: customer.apiKey }],
      ['/admin/promo-codes/%E0%A4%A', { token: testAdminToken }],
      ['/admin/topups/%C3', { token: testAdminToken }],
      ['/sandbox/checkout/%E0%A4%A', {}],
    ];
    for (const [path, options] of cases) {
      const method = path.endsWith('/cancel') ? 'POST' : 'GET';
      assertError(await api.request(method, path, options), 400, 'invalid_path');
    }
  });

  const host = 'Host: refill.test\r\n';
  const jsonPost = (path: string) => `POST ${path} HTTP/1.1\r\n${host}Content-Type: application/json\r\n`;
  const malformed: [string, string, number][] = [
    ['a control character in a header value', `GET /healthz HTTP/1.1\r\n${host}X-Note: a\u0001b\r\n\r\n`, 400],
    ['a NUL in a header value', `GET /healthz HTTP/1.1\r\n${host}X-Note: a\u0000b\r\n\r\n`, 400],
    ['DEL in a header value', `GET /healthz HTTP/1.1\r\n${host}X-Note: a\u007fb\r\n\r\n`, 400],
    ['a space in a header name', `GET /healthz HTTP/1.1\r\n${host}X Note: a\r\n\r\n`, 400],
    ['a space before the colon', `GET /healthz HTTP/1.1\r\n${host}X-Note : a\r\n\r\n`, 400],
    ['a header line without a colon', `GET /healthz HTTP/1.1\r\n${host}NoColon\r\n\r\n`, 400],
    ['a folded header line', `GET /healthz HTTP/1.1\r\n${host}X-Note: a\r\n b\r\n\r\n`, 400],
    ['two different Content-Lengths', `${jsonPost('/v1/consumptions')}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`, 400],
    ['a Content-Length that is not a number', `${jsonPost('/v1/consumptions')}Content-Length: 2x\r\n\r\n{}`, 400],
    ['a negative Content-Length', `${jsonPost('/v1/consumptions')}Content-Length: -2\r\n\r\n{}`, 400],
    ['Content-Length with chunked Transfer-Encoding', `${jsonPost('/v1/consumptions')}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`, 400],
    ['an unknown coding after chunked', `${jsonPost('/v1/consumptions')}Transfer-Encoding: chunked, rot13\r\n\r\n0\r\n\r\n`, 400],
    ['a chunk size that is not hexadecimal', `${jsonPost('/v1/consumptions')}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`, 400],
    ['a chunk longer than its size', `${jsonPost('/v1/consumptions')}Transfer-Encoding: chunked\r\n\r\n1\r\n{}\r\n0\r\n\r\n`, 400],
    ['a request line that is not HTTP', 'GARBAGE\r\n\r\n', 400],
    ['an unknown HTTP version', `GET /healthz HTTP/9.9\r\n${host}\r\n`, 400],
    ['a method with a character no method has', `G@T /healthz HTTP/1.1\r\n${host}\r\n`, 400],
    ['a space in the path', `GET /health z HTTP/1.1\r\n${host}\r\n`, 400],
    ['a control character in the path', `GET /health\u0001z HTTP/1.1\r\n${host}\r\n`, 400],
    ['bare line feeds', 'GET /healthz HTTP/1.1\nHost: refill.test\n\n', 400],
    ['no Host header', 'GET /healthz HTTP/1.1\r\n\r\n', 400],
    ['one header larger than 16 KiB', `GET /healthz HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(17_000)}\r\n\r\n`, 431],
    ['3,000 headers', `GET /healthz HTTP/1.1\r\n${host}${Array.from({ length: 3_000 }, (_, index) => `X-${index}: v\r\n`).join('')}\r\n`, 431],
  ];

  for (const [name, request, status] of malformed) {
    test(`${name}: ${status} in the JSON error shape, and the connection is closed`, async () => {
      const response = await rawExchange(api.baseUrl, request);
      assert.equal(response.status, status, response.raw.slice(0, 300));
      assert.match(response.headers['content-type'] ?? '', /^application\/json/);
      assert.equal(response.headers.connection, 'close');
      assert.match(response.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
      const body = JSON.parse(response.body) as { error: { code: keyof typeof errorCodes; message: string } };
      assert.equal(errorCodes[body.error.code]?.status, status, response.body);
      assert.equal(typeof body.error.message, 'string');
    });
  }

  test('the server still answers well-formed requests afterwards', async () => {
    assert.equal((await api.request('GET', '/healthz')).status, 200);
  });
});

describe('rate limits with the default configuration (finding 9)', () => {
  let api: TestApi;
  before(async () => {
    api = await apiWith();
  });
  after(async () => {
    await api.close();
  });

  test('500 fast consumptions on one key all succeed while a burst of 300 wrong keys from the same address gets 429s', async () => {
    const customer = await createTestAccount(api, 'USD');
    await fund(customer.accountId, '5');
    const failureLimit = api.config.http.rateLimits.authenticationFailuresPerAddress;
    const consumptions: Promise<TestResponse>[] = [];
    const wrongKeys: Promise<TestResponse>[] = [];
    const started = Date.now();
    // Waves of 50 consumptions and 30 wrong keys in flight together, as a busy client beside a scanner.
    for (let wave = 0; wave < 10; wave += 1) {
      const inWave: Promise<TestResponse>[] = [];
      for (let index = 0; index < 50; index += 1) {
        const sent = api.request('POST', '/v1/consumptions', {
          token: customer.apiKey,
          idempotencyKey: `hot-${wave}-${index}`,
          body: { amount: '0.01', description: 'tokens' },
        });
        consumptions.push(sent);
        inWave.push(sent);
      }
      for (let index = 0; index < 30; index += 1) {
        const sent = api.request('POST', '/v1/consumptions', { token: `rfk_${randomToken(40)}`, idempotencyKey: 'scan', body: { amount: '0.01', description: 'x' } });
        wrongKeys.push(sent);
        inWave.push(sent);
      }
      await Promise.all(inWave);
    }
    const elapsedSeconds = (Date.now() - started) / 1000;
    const consumed = await Promise.all(consumptions);
    const refused = await Promise.all(wrongKeys);
    console.log(`500 consumptions beside 300 wrong keys in ${elapsedSeconds.toFixed(2)} s (${Math.round(800 / elapsedSeconds)} requests/s)`);

    assert.deepEqual(consumed.filter((response) => response.status !== 201).map((response) => `${response.status} ${response.text}`), []);
    const unauthorized = refused.filter((response) => response.status === 401);
    const limited = refused.filter((response) => response.status === 429);
    assert.equal(unauthorized.length, failureLimit);
    assert.equal(limited.length, 300 - failureLimit);
    for (const response of limited) {
      assertError(response, 429, 'rate_limited');
      assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
    }
    const balance = await api.request('GET', '/v1/balance', { token: customer.apiKey });
    assert.equal(balance.body.balance, '0.000000', 'every one of the 500 deductions of 0.01 landed');
  });
});

describe('rate limits, configured small (finding 9)', () => {
  let api: TestApi;
  before(async () => {
    api = await apiWith({
      // The test client stands behind one trusted proxy, so each test can speak from addresses of its own.
      TRUST_PROXY_HOPS: '1',
      RATE_LIMIT_AUTH_FAILURES_PER_ADDRESS: '3',
      RATE_LIMIT_ACCOUNT_CREATIONS_PER_ADDRESS: '2',
      RATE_LIMIT_ORDERS_PER_KEY: '2',
      RATE_LIMIT_QUOTES_PER_KEY: '2',
      RATE_LIMIT_WEBHOOKS_PER_ADDRESS: '2',
      RATE_LIMIT_PAGES_PER_ADDRESS: '2',
    });
  });
  after(async () => {
    await api.close();
  });

  const from = (address: string, options: RequestOptions = {}): RequestOptions => ({ ...options, headers: { ...options.headers, 'x-forwarded-for': address } });

  /** A customer account created from an address of the test's own, so no test uses up another's creations. */
  async function accountFrom(address: string, currency = 'USD') {
    const response = await api.request('POST', '/admin/accounts', from(address, { token: testAdminToken, body: { email: 'limits@example.com', currency } }));
    assert.equal(response.status, 201, response.text);
    return { accountId: response.body.account_id as string, apiKey: response.body.api_key as string };
  }

  function assertLimited(response: TestResponse): void {
    assertError(response, 429, 'rate_limited');
    const retryAfter = Number(response.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${response.headers.get('retry-after')}`);
  }

  test('/admin: past the failures of one address, even the right token is refused from it, not from elsewhere', async () => {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      assertError(await api.request('GET', '/admin/topups', from('203.0.113.10', { token: `wrong-admin-token-${attempt}` })), 401, 'unauthorized');
    }
    assertLimited(await api.request('GET', '/admin/topups', from('203.0.113.10', { token: 'wrong-admin-token-4' })));
    assertLimited(await api.request('GET', '/admin/topups', from('203.0.113.10', { token: testAdminToken })));
    assert.equal((await api.request('GET', '/admin/topups', from('203.0.113.11', { token: testAdminToken }))).status, 200);
  });

  test('/v1: past the failures of one address, wrong keys get 429 while a valid key from it still passes', async () => {
    const customer = await accountFrom('198.51.100.20');
    for (let attempt = 0; attempt < 3; attempt += 1) {
      assertError(await api.request('GET', '/v1/balance', from('203.0.113.20', { token: `rfk_${randomToken(40)}` })), 401, 'unauthorized');
    }
    assertLimited(await api.request('GET', '/v1/balance', from('203.0.113.20', { token: `rfk_${randomToken(40)}` })));
    assertLimited(await api.request('GET', '/v1/balance', from('203.0.113.20')));
    assert.equal((await api.request('GET', '/v1/balance', from('203.0.113.20', { token: customer.apiKey }))).status, 200);
    assertError(await api.request('GET', '/v1/balance', from('203.0.113.21', { token: `rfk_${randomToken(40)}` })), 401, 'unauthorized');
  });

  test('account creation is limited per address', async () => {
    const create = (address: string, email: string) => api.request('POST', '/admin/accounts', from(address, { token: testAdminToken, body: { email, currency: 'USD' } }));
    assert.equal((await create('203.0.113.30', 'one@example.com')).status, 201);
    assert.equal((await create('203.0.113.30', 'two@example.com')).status, 201);
    const before = await rowCounts();
    assertLimited(await create('203.0.113.30', 'three@example.com'));
    assert.equal((await rowCounts()).accounts, before.accounts, 'the refused creation created nothing');
    assert.equal((await create('203.0.113.31', 'four@example.com')).status, 201);
  });

  test('order creation and quotes are limited per key, invalid requests included', async () => {
    const first = await accountFrom('198.51.100.60');
    const second = await accountFrom('198.51.100.60');
    const order = (apiKey: string) =>
      api.request('POST', '/v1/topups', { token: apiKey, idempotencyKey: randomToken(8), body: { amount: '1', payment_method: 'stripe' } });
    assertError(await order(first.apiKey), 422, 'amount_below_minimum');
    assertError(await order(first.apiKey), 422, 'amount_below_minimum');
    assertLimited(await order(first.apiKey));
    assertError(await order(second.apiKey), 422, 'amount_below_minimum');

    const quote = (apiKey: string) => api.request('POST', '/v1/topup-quotes', { token: apiKey, body: { package_id: 'usd_20', payment_method: 'stripe' } });
    assert.equal((await quote(first.apiKey)).status, 200);
    const counted = await quote(first.apiKey);
    assert.equal(counted.status, 200);
    assert.match(counted.headers.get('ratelimit') ?? '', /remaining=0/);
    assertLimited(await quote(first.apiKey));
    assert.equal((await quote(second.apiKey)).status, 200);
  });

  test('webhooks and pages are limited per address; health checks never are', async () => {
    const webhook = (address: string) => api.request('POST', '/webhooks/stripe', from(address, { rawBody: '{}', headers: { 'x-forwarded-for': address, 'stripe-signature': 't=1,v1=00' } }));
    assertError(await webhook('203.0.113.40'), 400, 'invalid_signature');
    assertError(await webhook('203.0.113.40'), 400, 'invalid_signature');
    assertLimited(await webhook('203.0.113.40'));
    assertError(await webhook('203.0.113.41'), 400, 'invalid_signature');

    const page = () => api.request('GET', '/checkout/return?order_id=ord_x&result=success', from('203.0.113.50'));
    assert.equal((await page()).status, 200);
    assert.equal((await api.request('GET', '/sandbox/checkout/cs_sandbox_000000000000000000000000', from('203.0.113.50'))).status, 404);
    assertLimited(await page());
    for (let probe = 0; probe < 5; probe += 1) assert.equal((await api.request('GET', '/healthz', from('203.0.113.50'))).status, 200);
  });
});

describe('security headers (finding 9)', () => {
  let api: TestApi;
  let httpsApi: TestApi;
  before(async () => {
    api = await apiWith();
    httpsApi = await apiWith({ PUBLIC_BASE_URL: 'https://pay.example.com' });
  });
  after(async () => {
    await api.close();
    await httpsApi.close();
  });

  function assertSecurityHeaders(response: TestResponse, what: string): void {
    const header = (name: string) => response.headers.get(name) ?? '';
    assert.equal(header('x-content-type-options'), 'nosniff', what);
    assert.equal(header('x-frame-options'), 'DENY', what);
    assert.equal(header('referrer-policy'), 'no-referrer', what);
    assert.match(header('content-security-policy'), /frame-ancestors 'none'/, what);
    assert.match(header('content-security-policy'), /default-src 'none'/, what);
    assert.equal(header('cache-control'), 'no-store', what);
    assert.equal(header('x-powered-by'), '', what);
  }

  test('the response that carries a new API key, and every /v1, /admin, error and page response, has them', async () => {
    const created = await api.request('POST', '/admin/accounts', { token: testAdminToken, body: { email: 'headers@example.com', currency: 'USD' } });
    assert.equal(created.status, 201);
    assert.match(created.body.api_key, /^rfk_/);
    assertSecurityHeaders(created, 'POST /admin/accounts');
    const apiKey = created.body.api_key as string;
    assertSecurityHeaders(await api.request('GET', '/v1/balance', { token: apiKey }), 'GET /v1/balance');
    assertSecurityHeaders(await api.request('GET', '/v1/topups', { token: apiKey }), 'GET /v1/topups');
    assertSecurityHeaders(await api.request('GET', '/admin/topups', { token: testAdminToken }), 'GET /admin/topups');
    assertSecurityHeaders(await api.request('GET', '/v1/balance'), '401');
    assertSecurityHeaders(await api.request('GET', '/no-such-route'), '404');
    assertSecurityHeaders(await api.request('POST', '/webhooks/stripe', { rawBody: '{}' }), 'webhook 400');

    const page = await api.request('GET', '/checkout/return?order_id=ord_x&result=success');
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assertSecurityHeaders(page, 'GET /checkout/return');
    // Strict-Transport-Security only where the API is reached over https.
    assert.equal(page.headers.get('strict-transport-security'), null);
  });

  test('with an https public base URL, responses carry Strict-Transport-Security', async () => {
    const response = await httpsApi.request('GET', '/healthz');
    assert.match(response.headers.get('strict-transport-security') ?? '', /^max-age=\d{7,}/);
  });
});

describe('request ids (finding 9)', () => {
  const lines: Record<string, unknown>[] = [];
  let baseUrl: string;
  let close: () => Promise<void>;

  before(async () => {
    const config = loadConfig({ DATABASE_URL: database.url, TEMPORAL_ADDRESS: testTemporalAddress(), ADMIN_TOKEN: testAdminToken });
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter((text) => text !== '')) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = createLogger('refill-api-test', 'info', destination);
    const temporalConnection = Connection.lazy({ address: config.temporal.address });
    const temporalClient = new Client({ connection: temporalConnection, namespace: config.temporal.namespace });
    const ledgerBatcher = new LedgerBatcher(database.sql);
    // Without USD pricing, GET /v1/topup-options of a USD account fails unexpectedly: a 500 to trace.
    const pricing = { CNY: loadPricing().CNY } as unknown as Pricing;
    const app = createApp({ config, sql: database.sql, ledgerBatcher, temporalConnection, temporalClient, logger, pricing });
    const server = createHttpServer(app, config.http.timeouts, logger);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    close = async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await ledgerBatcher.close();
      await temporalConnection.close();
    };
  });
  after(async () => {
    await close();
  });

  const send = (path: string, init: RequestInit = {}) => fetch(`${baseUrl}${path}`, init);

  test('a well-formed X-Request-Id is kept; a missing or malformed one is replaced by a new random id', async () => {
    for (const id of ['req-42', 'a', 'trace:0af7651916cd43dd8448eb211c80319c.b7ad6b7169203331_x', 'x'.repeat(128)]) {
      assert.equal((await send('/healthz', { headers: { 'x-request-id': id } })).headers.get('x-request-id'), id);
    }
    const seen = new Set<string>();
    for (const id of [undefined, '', 'x'.repeat(129), 'has space', 'semi;colon', '<script>', 'ü'.normalize('NFC')]) {
      const response = await send('/healthz', id === undefined ? {} : { headers: { 'x-request-id': Buffer.from(id, 'utf8').toString('latin1') } });
      const given = response.headers.get('x-request-id') ?? '';
      assert.match(given, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, `for ${JSON.stringify(id)}`);
      seen.add(given);
    }
    assert.equal(seen.size, 7, 'every generated id is new');
    assert.ok((await send('/no-such-route')).headers.get('x-request-id'));
  });

  test('every log line of a request carries its id, and a 500 names it in its message', async () => {
    const created = await send('/admin/accounts', {
      method: 'POST',
      headers: { authorization: `Bearer ${testAdminToken}`, 'content-type': 'application/json', 'x-request-id': 'create-account-7' },
      body: JSON.stringify({ email: 'traced@example.com', currency: 'USD' }),
    });
    assert.equal(created.status, 201);
    const apiKey = ((await created.json()) as { api_key: string }).api_key;
    const creationLine = lines.find((line) => line.msg === 'account created');
    assert.equal(creationLine?.requestId, 'create-account-7');

    const failed = await send('/v1/topup-options', { headers: { authorization: `Bearer ${apiKey}` } });
    assert.equal(failed.status, 500);
    const requestId = failed.headers.get('x-request-id') ?? '';
    const body = (await failed.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'internal_error');
    assert.ok(body.error.message.includes(requestId), body.error.message);
    const failureLine = lines.find((line) => line.msg === 'unexpected failure');
    assert.equal(failureLine?.requestId, requestId);

    const malformed = await rawExchange(baseUrl, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: \u0001\r\n\r\n');
    const refusedLine = lines.find((line) => line.msg === 'malformed request refused');
    assert.equal(refusedLine?.requestId, malformed.headers['x-request-id']);
    assert.ok(lines.every((line) => line.msg === 'malformed request refused' || typeof line.requestId === 'string'), 'no line of a request lacks its id');
  });
});

describe('server timeouts (finding 9)', () => {
  let api: TestApi;
  before(async () => {
    api = await apiWith({ HTTP_HEADERS_TIMEOUT_SECONDS: '1', HTTP_REQUEST_TIMEOUT_SECONDS: '2', HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: '1' });
  });
  after(async () => {
    await api.close();
  });

  /** Writes `text` one byte per interval until the connection closes; returns when it has, with what the server wrote. */
  async function trickle(text: string, intervalMilliseconds: number, deadlineMilliseconds: number) {
    const connection = await openRawConnection(api.baseUrl);
    let position = 0;
    const timer = setInterval(() => {
      if (position < text.length && !connection.socket.destroyed) connection.socket.write(text[position++]!, 'latin1');
    }, intervalMilliseconds);
    const started = Date.now();
    try {
      const raw = await connection.closed(deadlineMilliseconds);
      return { raw, seconds: (Date.now() - started) / 1000, bytesSent: position };
    } finally {
      clearInterval(timer);
    }
  }

  test('a client sending its headers one byte per second is answered 408 and cut off, far before Node\'s 60 s', async () => {
    const request = `GET /healthz HTTP/1.1\r\nHost: refill.test\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`;
    const { raw, seconds, bytesSent } = await trickle(request, 1_000, 15_000);
    console.log(`slow headers: closed after ${seconds.toFixed(1)} s and ${bytesSent} bytes (headers timeout 1 s)`);
    const response = parseRawResponse(raw);
    assert.equal(response.status, 408);
    assert.equal(JSON.parse(response.body).error.code, 'request_timeout');
    assert.ok(bytesSent < request.length, 'the headers never completed');
  });

  test('a client sending its body one byte at a time is cut off by the request timeout', async () => {
    const connection = await openRawConnection(api.baseUrl);
    connection.socket.write('POST /v1/consumptions HTTP/1.1\r\nHost: refill.test\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n');
    const timer = setInterval(() => connection.socket.destroyed || connection.socket.write(' '), 250);
    try {
      const response = parseRawResponse(await connection.closed(15_000));
      assert.equal(response.status, 408);
      assert.equal(JSON.parse(response.body).error.code, 'request_timeout');
    } finally {
      clearInterval(timer);
    }
  });

  test('an idle keep-alive connection is closed by the server', async () => {
    const connection = await openRawConnection(api.baseUrl);
    connection.socket.write('GET /healthz HTTP/1.1\r\nHost: refill.test\r\nConnection: keep-alive\r\n\r\n');
    const response = parseRawResponse(await connection.closed(15_000));
    assert.equal(response.status, 200);
    assert.equal(response.headers['keep-alive'], 'timeout=1');
  });
});
