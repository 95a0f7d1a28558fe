// The typed client (client/): its files are what `npm run client` generates from the code today, and it
// drives the API end to end with typed paths, parameters, bodies, answers and error codes.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { generatedClientFiles } from '../scripts/client-files.ts';
import { createTestAccount, startTestApi, testAdminToken, uniqueKey, type TestApi } from './support/api.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '..');

let database: TestDatabase;
let api: TestApi;

before(async () => {
  database = await createTestDatabase(4);
  api = await startTestApi({ sql: database.sql, databaseUrl: database.url });
});
after(async () => {
  await api.close();
  await database.close();
});

test('client/ is what `npm run client` generates from the routes today (no drift)', async () => {
  for (const [file, expected] of Object.entries(await generatedClientFiles())) {
    const committed = await readFile(path.join(repositoryRoot, file), 'utf8');
    assert.ok(committed === expected, `${file} is out of date with the routes' operations: run \`npm run client\` and commit it`);
  }
});

test('the typed client quotes, answers typed errors, and lists an account\'s flows', async () => {
  const { apiKey } = await createTestAccount(api, 'USD', `${uniqueKey('client')}@example.com`);
  const customer = api.client(apiKey);

  const options = await customer.GET('/v1/topup-options');
  assert.equal(options.data?.currency, 'USD');
  const packageId = options.data.packages[0]!.id;

  const quote = await customer.POST('/v1/topup-quotes', { body: { package_id: packageId, payment_method: 'stripe' } });
  assert.equal(quote.response.status, 200);
  assert.match(quote.data!.credit, /^\d+\.\d{6}$/);

  const refused = await customer.POST('/v1/consumptions', {
    params: { header: { 'Idempotency-Key': uniqueKey('usage') } },
    body: { amount: '1.00', description: 'more than the balance' },
  });
  assert.equal(refused.response.status, 402);
  assert.equal(refused.error?.error.code, 'insufficient_balance');

  const missingKey = await customer.POST('/v1/topups', { params: { header: { 'Idempotency-Key': '' } }, body: { package_id: packageId, payment_method: 'stripe' } });
  assert.equal(missingKey.error?.error.code, 'idempotency_key_invalid');

  const flows = await customer.GET('/v1/account-flows', { params: { query: { limit: '5' } } });
  assert.deepEqual(flows.data, { data: [], next_cursor: null });

  const unknown = await customer.GET('/v1/holds/{id}', { params: { path: { id: 'hold_000000000000000000000000' } } });
  assert.equal(unknown.error?.error.code, 'not_found');

  const ops = api.client(testAdminToken);
  const audit = await ops.GET('/admin/audit-log', { params: { query: { action: 'account.create', limit: '1' } } });
  assert.equal(audit.response.status, 200);
  assert.equal(audit.data!.data.length, 1);
});
