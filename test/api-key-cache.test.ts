// The API key cache (api/api-key-cache.ts): lookups are reused, but a revoked key is refused on the very
// next request by every API process, not after the expiry. Two API apps share one database, as two API
// processes do, each with its own cache and key change listener; the cache is bounded and expires.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiKeyCache } from '../api/api-key-cache.ts';
import { hashApiKey } from '../db/accounts/create-account.ts';
import type { AuthenticatedAccount } from '../db/accounts/find-account-by-api-key.ts';
import { createTestAccount, startTestApi, uniqueKey, type TestApi } from './support/api.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { eventually } from './support/eventually.ts';
import { balanceMicrosOf, fundAccountDirectly } from './support/ledger.ts';

let database: TestDatabase;
let first: TestApi;
let second: TestApi;

/** Far longer than any test here: whatever is refused is refused by the revocation, not by the expiry. */
const longCache = { API_KEY_CACHE_SECONDS: '60' };

before(async () => {
  database = await createTestDatabase();
  first = await startTestApi({ sql: database.sql, databaseUrl: database.url, environment: longCache });
  second = await startTestApi({ sql: database.sql, databaseUrl: database.url, environment: longCache });
});
after(async () => {
  await first.close();
  await second.close();
  await database.close();
});

async function balanceStatus(api: TestApi, apiKey: string): Promise<number> {
  return (await api.request('GET', '/v1/balance', { token: apiKey })).status;
}

/**
 * Runs a change in the database and waits until both APIs' listeners have applied it. PostgreSQL sends
 * the notification when the change commits; a request racing that delivery (a millisecond or so) is
 * answered as one sent just before the change would be. Every cache keeps entries 60 s here, so a
 * refusal after this wait is the notification's doing, not the expiry's.
 */
async function changeAndWaitForListeners(change: () => Promise<unknown>): Promise<void> {
  const before = [first.apiKeyCache.changesApplied, second.apiKeyCache.changesApplied];
  await change();
  await eventually(
    () => (first.apiKeyCache.changesApplied > before[0]! && second.apiKeyCache.changesApplied > before[1]! ? true : undefined),
    { description: 'both API processes to receive the change', intervalMilliseconds: 5 },
  );
}

async function fundedKey(): Promise<{ accountId: string; apiKey: string }> {
  const customer = await createTestAccount(first);
  await fundAccountDirectly(database.sql, customer.accountId, 'USD', 10_000_000n);
  return customer;
}

describe('revocation across API processes', () => {
  test('a key revoked in the database is refused by the next request to either API, though both had it cached', async () => {
    const customer = await fundedKey();
    const otherCustomer = await fundedKey();
    for (const api of [first, second]) {
      assert.equal(await balanceStatus(api, customer.apiKey), 200);
      assert.equal(await balanceStatus(api, otherCustomer.apiKey), 200);
      assert.equal(api.apiKeyCache.inUse, true, 'the cache is in use once its listener listens');
      assert.ok(api.apiKeyCache.size >= 2, 'both keys are cached');
    }
    await changeAndWaitForListeners(() => database.sql`update api_keys set revoked_at = now() where key_hash = ${hashApiKey(customer.apiKey)}`);

    const deduction = await second.request('POST', '/v1/consumptions', {
      token: customer.apiKey,
      idempotencyKey: uniqueKey('revoked'),
      body: { amount: '1.00', description: 'after revocation' },
    });
    assert.equal(deduction.status, 401, deduction.text);
    assert.equal(deduction.body.error.code, 'unauthorized');
    assert.equal(await balanceStatus(first, customer.apiKey), 401);
    assert.equal(await balanceMicrosOf(database.sql, customer.accountId), 10_000_000n, 'nothing was deducted');
    // Only the revoked key was evicted.
    assert.equal(await balanceStatus(second, otherCustomer.apiKey), 200);
  });

  test('a key deleted, or its account changed, is looked up again at once', async () => {
    const customer = await fundedKey();
    assert.equal(await balanceStatus(second, customer.apiKey), 200);
    const sizeBefore = second.apiKeyCache.size;
    await changeAndWaitForListeners(() => database.sql`update accounts set email = 'changed@example.com' where id = ${customer.accountId}`);
    assert.equal(second.apiKeyCache.size, sizeBefore - 1, "the account's key was evicted");
    const balance = await second.request('GET', '/v1/balance', { token: customer.apiKey });
    assert.equal(balance.status, 200);

    await changeAndWaitForListeners(() => database.sql`delete from api_keys where key_hash = ${hashApiKey(customer.apiKey)}`);
    assert.equal(await balanceStatus(second, customer.apiKey), 401);
    assert.equal(await balanceStatus(first, customer.apiKey), 401);
  });

  test('a listener that loses its connection empties and bypasses its cache, and after it listens again revocations still reach it', async () => {
    const customer = await fundedKey();
    assert.equal(await balanceStatus(second, customer.apiKey), 200);
    const lossesBefore = [first.apiKeyCache.listenerLosses, second.apiKeyCache.listenerLosses];
    await database.sql`
      select pg_terminate_backend(pid) from pg_stat_activity
      where application_name = 'refill-api-key-listener' and datname = current_database()`;
    await eventually(
      () => (first.apiKeyCache.listenerLosses > lossesBefore[0]! && second.apiKeyCache.listenerLosses > lossesBefore[1]! ? true : undefined),
      { description: 'both listeners to notice the lost connection', intervalMilliseconds: 5 },
    );
    await eventually(() => (first.apiKeyCache.inUse && second.apiKeyCache.inUse ? true : undefined), { description: 'both listeners listening again' });
    assert.equal(await balanceStatus(second, customer.apiKey), 200);
    assert.equal(second.apiKeyCache.size, 1, 'the cache was emptied at the loss and is filled again');
    await changeAndWaitForListeners(() => database.sql`update api_keys set revoked_at = now() where key_hash = ${hashApiKey(customer.apiKey)}`);
    assert.equal(await balanceStatus(second, customer.apiKey), 401);
    assert.equal(await balanceStatus(first, customer.apiKey), 401);
  });
});

describe('the cache itself', () => {
  const account = (index: number): AuthenticatedAccount => ({ accountId: `acct_${index}`, email: 'a@example.com', currency: 'USD' });

  test('holds at most its maximum of entries, dropping the least recently used', async () => {
    const cache = new ApiKeyCache({ seconds: 60, maximumEntries: 3 });
    cache.listeningStarted();
    let loads = 0;
    const load = (index: number) => async () => {
      loads += 1;
      return account(index);
    };
    for (let index = 0; index < 5; index += 1) await cache.lookup(`key${index}`, load(index));
    assert.equal(cache.size, 3);
    assert.equal(loads, 5);
    await cache.lookup('key4', load(4));
    assert.equal(loads, 5, 'a recent key is served from the cache');
    await cache.lookup('key0', load(0));
    assert.equal(loads, 6, 'the oldest key was dropped and is loaded again');
  });

  test('an entry expires after its seconds, and nothing is cached before the listener listens or for an unknown key', async () => {
    const cache = new ApiKeyCache({ seconds: 1, maximumEntries: 10 });
    let loads = 0;
    const load = async () => {
      loads += 1;
      return account(1);
    };
    await cache.lookup('key', load);
    await cache.lookup('key', load);
    assert.equal(loads, 2, 'not listening: every lookup loads');
    cache.listeningStarted();
    await cache.lookup('unknown', async () => null);
    assert.equal(cache.size, 0, 'an unknown key is not cached');
    await cache.lookup('key', load);
    await cache.lookup('key', load);
    assert.equal(loads, 3);
    await eventually(
      async () => {
        const before = loads;
        await cache.lookup('key', load);
        return loads > before ? true : undefined;
      },
      { description: 'the entry to expire', intervalMilliseconds: 100 },
    );
  });

  test('a lookup that overlapped a revocation is not kept', async () => {
    const cache = new ApiKeyCache({ seconds: 60, maximumEntries: 10 });
    cache.listeningStarted();
    await cache.lookup('key', async () => {
      cache.apply({ kind: 'key', keyHashHex: 'key' });
      return account(1);
    });
    assert.equal(cache.size, 0);
  });
});
