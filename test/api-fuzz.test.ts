// Nothing a client sends produces a 5xx: odd bodies, ids, headers and query strings on every route.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestAccount, testAdminToken } from './support/api.ts';
import { startTestPipeline, type TestPipeline } from './support/pipeline.ts';

let pipeline: TestPipeline;

before(async () => {
  // Hundreds of orders from one key: without the per-key order limit, each reaches the check it aims at.
  pipeline = await startTestPipeline({ environment: { RATE_LIMIT_ORDERS_PER_KEY: '0' } });
});
after(async () => {
  await pipeline.close();
});

const oddValues: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  '',
  ' ',
  '\u0000',
  '0',
  '-5.00',
  '1e3',
  '12.345678901',
  '99999999999999999999999',
  'NaN',
  'Infinity',
  '<script>alert(1)</script>',
  "'; drop table orders; --",
  'x'.repeat(5_000),
  '💸',
  [],
  ['stripe'],
  {},
  { nested: { deeper: [1, 2, 3] } },
];

const oddIds = ['ord_', 'ord_%00', '..%2F..%2Fetc%2Fpasswd', 'ord_' + 'z'.repeat(300), '%F0%9F%92%B8', 'ORD_ABC', '1'];

const oddQueries = [
  'limit=0',
  'limit=-1',
  'limit=1e3',
  'limit=abc',
  'limit=101',
  'limit=99999999999999999999',
  'cursor=%00',
  'cursor=' + 'A'.repeat(500),
  'cursor=eyJ4Ijp9',
  'status=%00',
  'status=pending&status=failed',
  'type=recharge&type=consume',
  'payment_method=wire',
  'reference=%00',
];

interface Sent {
  method: string;
  path: string;
  status: number;
}

test('odd input on every route is answered with a 4xx (or a 2xx), never a 5xx', async () => {
  const account = await createTestAccount(pipeline.api, 'CNY');
  const created = await pipeline.api.request('POST', '/v1/topups', {
    token: account.apiKey,
    idempotencyKey: 'fuzz-order',
    body: { amount: '60.00', payment_method: 'stripe' },
  });
  assert.equal(created.status, 201, created.text);
  const orderId = created.body.id as string;

  // Each odd value replaces one field of an otherwise valid body, so it reaches the deepest check.
  type Route = [method: string, path: string, validBody: Record<string, unknown>, fields: string[]];
  const bankTransfer = { remitter_name: 'Li Lei', bank_name: 'ICBC', agreement_accepted: true };
  const customerBodies: Route[] = [
    ['POST', '/v1/topups', { amount: '60.00', payment_method: 'stripe' }, ['amount', 'package_id', 'payment_method', 'promo_code', 'success_url', 'cancel_url', 'bank_transfer']],
    ['POST', '/v1/topups', { amount: '60.00', payment_method: 'bank_transfer', bank_transfer: bankTransfer }, ['bank_transfer']],
    ['POST', '/v1/topup-quotes', { amount: '60.00', payment_method: 'stripe' }, ['amount', 'package_id', 'payment_method', 'promo_code']],
    ['POST', '/v1/consumptions', { amount: '1.00', description: 'usage' }, ['amount', 'description', 'user', 'metadata', 'currency']],
  ];
  const adminBodies: Route[] = [
    ['POST', '/admin/accounts', { email: 'fuzz@example.com', currency: 'USD' }, ['email', 'currency']],
    ['POST', '/admin/promo-codes', { code: 'FUZZ', kind: 'bonus_percent', percent: '5', currency: 'USD' }, ['code', 'kind', 'percent', 'amount', 'currency', 'min_amount', 'expires_at', 'max_redemptions', 'max_redemptions_per_account']],
    ['POST', `/admin/topups/${orderId}/confirm-transfer`, { amount_received: '60.00', bank_reference: 'B1' }, ['amount_received', 'bank_reference', 'corrected_credit', 'reason']],
    ['POST', `/admin/topups/${orderId}/reject-transfer`, { reason: 'no transfer' }, ['reason']],
    ['POST', `/admin/topups/${orderId}/start-review`, {}, ['note']],
  ];
  const sent: Sent[] = [];
  const send = async (method: string, path: string, options: Parameters<typeof pipeline.api.request>[2]) => {
    const response = await pipeline.api.request(method, path, options);
    sent.push({ method, path, status: response.status });
  };

  for (const [bodies, token] of [
    [customerBodies, account.apiKey],
    [adminBodies, testAdminToken],
  ] as const) {
    for (const [method, path, validBody, fields] of bodies) {
      for (const field of fields) {
        for (const value of oddValues) {
          await send(method, path, { token, idempotencyKey: `fuzz-${sent.length}`, body: { ...validBody, [field]: value } });
          if (field === 'bank_transfer') {
            for (const inner of ['remitter_name', 'bank_name', 'remarks', 'agreement_accepted']) {
              await send(method, path, { token, idempotencyKey: `fuzz-${sent.length}`, body: { ...validBody, bank_transfer: { ...bankTransfer, [inner]: value } } });
            }
          }
        }
      }
      for (const rawBody of ['', '{', '[]', 'null', '"text"', '{"a":1}{"b":2}', '\u0000']) {
        await send(method, path, { token, idempotencyKey: `fuzz-raw-${sent.length}`, rawBody });
      }
    }
  }

  for (const id of oddIds) {
    for (const suffix of ['', '/resume', '/cancel', '/invoice']) {
      const method = suffix === '/resume' || suffix === '/cancel' ? 'POST' : 'GET';
      await send(method, `/v1/topups/${id}${suffix}`, { token: account.apiKey });
    }
    await send('GET', `/admin/topups/${id}`, { token: testAdminToken });
    await send('GET', `/admin/promo-codes/${id}`, { token: testAdminToken });
    await send('GET', `/sandbox/checkout/${id}`, {});
  }
  for (const query of oddQueries) {
    for (const path of ['/v1/topups', '/v1/invoices', '/v1/account-flows']) await send('GET', `${path}?${query}`, { token: account.apiKey });
    await send('GET', `/admin/topups?${query}`, { token: testAdminToken });
  }
  for (const header of ['', ' ', 'x'.repeat(300), 'key with spaces', 'ключ']) {
    await send('POST', '/v1/consumptions', { token: account.apiKey, headers: { 'idempotency-key': encodeURIComponent(header) || ' ' }, body: { amount: '1', description: 'x' } });
  }
  await send('POST', '/webhooks/stripe', { rawBody: 'not json', headers: { 'stripe-signature': 't=abc,v1=' } });
  await send('POST', '/webhooks/stripe', { rawBody: '{}', headers: { 'stripe-signature': 'x'.repeat(10_000) } });

  const serverErrors = sent.filter((request) => request.status >= 500);
  assert.deepEqual(serverErrors, []);
  assert.ok(sent.length > 500, `only ${sent.length} requests were sent`);
});
