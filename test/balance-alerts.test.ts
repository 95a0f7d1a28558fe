// Low-balance alerts: balance.low once per downward crossing (concurrent deductions crossing together
// write one), with one email; balance.recovered when the balance rises back above; balance.depleted when
// a deduction is refused for lack of balance, at most once an hour; and accounts without alerts write
// nothing. Events are read from the outbox the ledger's trigger writes to.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addressedTo, startMailInbox, type MailInbox } from '../dev/mail-inbox.ts';
import { createTestCustomer, uniqueKey } from './support/api.ts';
import { fundAccountDirectly } from './support/ledger.ts';
import { startTestPipeline, type TestPipeline } from './support/pipeline.ts';

let inbox: MailInbox;
let pipeline: TestPipeline;

before(async () => {
  inbox = await startMailInbox({ smtpPort: 0, webPort: null, storageDirectory: null });
  pipeline = await startTestPipeline({ sandbox: true, environment: { SMTP_URL: inbox.smtpUrl, WEBHOOK_POLL_INTERVAL_MILLISECONDS: '100' } });
});
after(async () => {
  await pipeline.close();
  await inbox.stop();
});

/** The account's alert events in the order they were written: type and the threshold crossed. */
async function alertEventsOf(accountId: string): Promise<string[]> {
  const rows = await pipeline.database.sql<{ type: string; threshold: string | null }[]>`
    select type, object ->> 'threshold_micros' as threshold from webhook_events
    where account_id = ${accountId} and type like 'balance.%' order by sequence`;
  return rows.map((row) => (row.threshold === null ? row.type : `${row.type} ${row.threshold}`));
}

function consume(apiKey: string, amount: string) {
  return pipeline.api.request('POST', '/v1/consumptions', { token: apiKey, idempotencyKey: uniqueKey('use'), body: { amount, description: 'usage' } });
}

test('settings are read back as set, and bad ones are refused with a precise code and change nothing', async () => {
  const customer = await createTestCustomer(pipeline.api, 'USD', 'alert-settings');
  const unset = await pipeline.api.request('GET', '/v1/balance-alerts', { token: customer.apiKey });
  assert.deepEqual(unset.body, { thresholds: [], email: false, currency: 'USD' });
  const put = await pipeline.api.request('PUT', '/v1/balance-alerts', { token: customer.apiKey, body: { thresholds: ['5.00', '20.00', '5'], email: true } });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.body, { thresholds: ['20.000000', '5.000000'], email: true, currency: 'USD' });
  for (const [body, code] of [
    [{ thresholds: [20], email: true }, 'invalid_amount'],
    [{ thresholds: ['-1.00'], email: true }, 'invalid_amount'],
    [{ thresholds: Array.from({ length: 11 }, (_, index) => `${index + 1}.00`), email: true }, 'invalid_field'],
    [{ thresholds: ['1.00'] }, 'missing_field'],
  ] as const) {
    const refused = await pipeline.api.request('PUT', '/v1/balance-alerts', { token: customer.apiKey, body });
    assert.ok(refused.status >= 400 && refused.status < 500, refused.text);
    assert.equal(refused.body.error.code, code, JSON.stringify(body));
  }
  const kept = await pipeline.api.request('GET', '/v1/balance-alerts', { token: customer.apiKey });
  assert.deepEqual(kept.body.thresholds, ['20.000000', '5.000000']);
});

test('concurrent deductions crossing a threshold write one balance.low and one email; rising back writes balance.recovered', async () => {
  const customer = await createTestCustomer(pipeline.api, 'USD', 'alert-crossing');
  const quiet = await createTestCustomer(pipeline.api, 'USD', 'alert-none');
  await fundAccountDirectly(pipeline.database.sql, customer.accountId, 'USD', 30_000_000n);
  await fundAccountDirectly(pipeline.database.sql, quiet.accountId, 'USD', 30_000_000n);
  const put = await pipeline.api.request('PUT', '/v1/balance-alerts', { token: customer.apiKey, body: { thresholds: ['20.00', '5.00'], email: true } });
  assert.equal(put.status, 200, put.text);
  // 30.00 → 10.00 in twenty concurrent deductions: one of them crosses 20.00.
  const results = await Promise.all(Array.from({ length: 20 }, () => consume(customer.apiKey, '1.00')));
  assert.deepEqual([...new Set(results.map((result) => result.status))], [201]);
  await Promise.all(Array.from({ length: 20 }, () => consume(quiet.apiKey, '1.00')));
  assert.deepEqual(await alertEventsOf(customer.accountId), ['balance.low 20000000']);
  assert.deepEqual(await alertEventsOf(quiet.accountId), [], 'an account without alerts writes no event');
  const mail = await inbox.waitForMessage(addressedTo(customer.email), 20_000);
  assert.match(mail.parsed.subject ?? '', /below 20\.00/);

  // 10.00 → 4.00 crosses 5.00; back to 24.00 rises over both.
  assert.equal((await consume(customer.apiKey, '6.00')).status, 201);
  await fundAccountDirectly(pipeline.database.sql, customer.accountId, 'USD', 20_000_000n);
  assert.deepEqual(await alertEventsOf(customer.accountId), [
    'balance.low 20000000',
    'balance.low 5000000',
    'balance.recovered 20000000',
    'balance.recovered 5000000',
  ]);
  const second = await inbox.waitForMessage((found) => addressedTo(customer.email)(found) && /below 5\.00/.test(found.parsed.subject ?? ''), 20_000);
  assert.ok(second.parsed.text?.includes('4.00'), second.parsed.text);
  assert.equal(inbox.messages().filter(addressedTo(customer.email)).length, 2, 'one email per crossing');
});

test('a deduction refused for lack of balance writes balance.depleted, at most once an hour', async () => {
  const customer = await createTestCustomer(pipeline.api, 'USD', 'alert-depleted');
  await fundAccountDirectly(pipeline.database.sql, customer.accountId, 'USD', 1_000_000n);
  await pipeline.api.request('PUT', '/v1/balance-alerts', { token: customer.apiKey, body: { thresholds: ['0.50'], email: false } });
  const refusals = await Promise.all(Array.from({ length: 5 }, () => consume(customer.apiKey, '2.00')));
  assert.deepEqual([...new Set(refusals.map((refusal) => refusal.body.error?.code))], ['insufficient_balance']);
  assert.deepEqual(await alertEventsOf(customer.accountId), ['balance.depleted']);
  await pipeline.database.sql`update balance_alerts set depleted_notified_at = now() - interval '61 minutes' where account_id = ${customer.accountId}`;
  assert.equal((await consume(customer.apiKey, '2.00')).status, 402);
  assert.deepEqual(await alertEventsOf(customer.accountId), ['balance.depleted', 'balance.depleted']);
});
