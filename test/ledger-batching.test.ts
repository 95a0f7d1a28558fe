// Batched posting on a real Postgres: a batch gives every transfer the outcome it would get on its own,
// duplicates across batches land once, a hot balance never goes negative, batches never deadlock, a
// batch the server refuses as a whole does not take its good transfers down with it, and the API
// answers a batcher that takes no more transfers with 503.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { createAccount } from '../db/accounts/create-account.ts';
import { closeSql, createSql, type Sql } from '../db/client.ts';
import { checkLedgerInvariants } from '../db/ledger/check-invariants.ts';
import { customerBalanceCode, platformAccountCode } from '../db/ledger/ledger-account-codes.ts';
import { LedgerBatcher, LedgerBusyError } from '../db/ledger/ledger-batcher.ts';
import { LedgerError, postTransfer, type PostTransferInput, type PostTransferResult } from '../db/ledger/post-transfer.ts';
import { postTransfers } from '../db/ledger/post-transfers.ts';
import { consumptionIdempotencyKey } from '../db/ledger/record-consumption.ts';
import { freePort } from '../dev/ports.ts';
import { randomToken } from '../ids/ids.ts';
import { startTestApi } from './support/api.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { eventually } from './support/eventually.ts';
import { balanceMicrosOf, fundAccountDirectly } from './support/ledger.ts';

let database: TestDatabase;
/** A second pool on the same database: the connections of another API process. */
let otherProcess: Sql;

before(async () => {
  database = await createTestDatabase(20);
  otherProcess = createSql({ url: database.url, poolSize: 10, applicationName: 'refill-test-other-process' });
});
after(async () => {
  await closeSql(otherProcess);
  await database.close();
});

/** How long a concurrency test may take before it counts as hung (a deadlock would hang it). */
const concurrencyTestTimeoutMilliseconds = 60_000;

async function fundedAccount(creditMicros: bigint): Promise<string> {
  const { accountId } = await createAccount(database.sql, { email: 'batching@example.com', currency: 'USD' });
  await fundAccountDirectly(database.sql, accountId, 'USD', creditMicros);
  return accountId;
}

/** A deduction from a customer to its usage revenue shard, as recordConsumption posts it. */
function deduction(accountId: string, key: string, amountMicros: bigint, currency: 'USD' | 'CNY' = 'USD'): PostTransferInput {
  return {
    idempotencyKey: `test:${accountId}:${key}`,
    flowType: 'consume',
    currency,
    accountId,
    description: 'usage',
    userReference: null,
    orderId: null,
    metadata: null,
    legs: [
      { code: customerBalanceCode(accountId), amountMicros: -amountMicros },
      { code: platformAccountCode('usage_revenue', currency, accountId), amountMicros },
    ],
  };
}

/** A credit from payment clearing to a customer, as a paid order's recharge posts it. */
function credit(accountId: string, key: string, amountMicros: bigint): PostTransferInput {
  return {
    idempotencyKey: `test:${accountId}:${key}`,
    flowType: 'recharge',
    currency: 'USD',
    accountId,
    description: 'top-up',
    userReference: null,
    orderId: null,
    metadata: null,
    legs: [
      { code: customerBalanceCode(accountId), amountMicros },
      { code: platformAccountCode('payment_clearing', 'USD', accountId), amountMicros: -amountMicros },
    ],
  };
}

/** Moves money between two customers: the legs name two customer balances, in the order given. */
function move(fromAccountId: string, toAccountId: string, key: string, amountMicros: bigint): PostTransferInput {
  return {
    idempotencyKey: `test:move:${key}`,
    flowType: 'adjustment',
    currency: 'USD',
    accountId: null,
    description: null,
    userReference: null,
    orderId: null,
    metadata: null,
    legs: [
      { code: customerBalanceCode(fromAccountId), amountMicros: -amountMicros },
      { code: customerBalanceCode(toAccountId), amountMicros },
    ],
  };
}

async function transferCount(keyPrefix: string): Promise<bigint> {
  const [row] = await database.sql<{ count: bigint }[]>`
    select count(*)::bigint as count from transfers where idempotency_key like ${`${keyPrefix}%`}`;
  return row!.count;
}

function customerEntry(result: PostTransferResult, accountId: string) {
  const entry = result.entries.find((candidate) => candidate.code === customerBalanceCode(accountId));
  assert.ok(entry !== undefined, `transfer ${result.transferId} has no entry on ${accountId}`);
  return entry;
}

/** The ledger error code a settled submission was refused with, or 'posted' / 'replayed'. */
function outcomeOf(settled: PromiseSettledResult<PostTransferResult>): string {
  if (settled.status === 'fulfilled') return settled.value.replayed ? 'replayed' : 'posted';
  assert.ok(settled.reason instanceof LedgerError, `not a LedgerError: ${String(settled.reason)}`);
  return settled.reason.code;
}

/** Settles at once, so a refusal that comes before the test looks at it is not an unhandled rejection. */
function settle<Value>(promise: Promise<Value>): Promise<PromiseSettledResult<Value>> {
  return promise.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );
}

/** The values of settled submissions; the first refusal fails the test with its own error. */
function values<Value>(results: PromiseSettledResult<Value>[]): Value[] {
  return results.map((result) => {
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  });
}

/** Waits until `count` backends of the test database are waiting for a lock. */
async function backendsWaitingForLocks(count: number): Promise<void> {
  await eventually(
    async () => {
      const [row] = await database.sql<{ waiting: bigint }[]>`
        select count(*)::bigint as waiting from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`;
      if (row!.waiting >= BigInt(count)) return true;
      throw new Error(`${row!.waiting} backends waiting for a lock`);
    },
    { description: `${count} backends waiting for a lock`, timeoutMilliseconds: 10_000, intervalMilliseconds: 10 },
  );
}

describe('a batch of transfers', () => {
  test('posts only its good transfers, in order, and each caller gets its own result or error', async () => {
    const accountId = await fundedAccount(10_000_000n);
    const earlier = await postTransfer(database.sql, deduction(accountId, 'earlier', 1_000_000n));
    const batcher = new LedgerBatcher(database.sql);
    const malformed = { ...deduction(accountId, 'malformed', 1_000_000n) };
    malformed.legs = [malformed.legs[0]!, { ...malformed.legs[1]!, amountMicros: 999_999n }];
    // Submitted in one turn of the event loop, so they leave as one batch.
    const inputs = [
      deduction(accountId, 'earlier', 1_000_000n), // replay of a transfer posted before the batch
      deduction(accountId, 'earlier', 2_000_000n), // the same key with other content
      deduction(accountId, 'big', 50_000_000n), // more than the balance
      deduction(accountId, 'good-1', 2_000_000n),
      deduction(accountId, 'good-1', 2_000_000n), // a replay of the item just before
      deduction(accountId, 'good-1', 3_000_000n), // the key of an item of this batch, other content
      deduction(accountId, 'cny', 1_000_000n, 'CNY'), // ledger accounts of another currency
      malformed,
      deduction(accountId, 'good-2', 7_000_000n), // takes the balance to exactly zero
      deduction(accountId, 'big', 1n), // the refused key is free again, but nothing is left
      credit(accountId, 'top-up', 5_000_000n),
      deduction(accountId, 'after-credit', 5_000_000n), // only possible because the credit came first
    ];
    const settled = await Promise.allSettled(inputs.map((input) => batcher.submit(input)));
    await batcher.close();
    assert.equal(batcher.statistics().batches, 1);

    assert.deepEqual(settled.map(outcomeOf), [
      'replayed',
      'idempotency_key_reused',
      'insufficient_balance',
      'posted',
      'replayed',
      'idempotency_key_reused',
      'unknown_ledger_account',
      'malformed_transfer',
      'posted',
      'insufficient_balance',
      'posted',
      'posted',
    ]);
    const value = (index: number) => (settled[index] as PromiseFulfilledResult<PostTransferResult>).value;
    assert.deepEqual(value(0), { ...earlier, replayed: true });
    assert.equal(value(4).transferId, value(3).transferId);
    assert.deepEqual(value(4).entries, value(3).entries);
    assert.deepEqual(
      [3, 8, 10, 11].map((index) => customerEntry(value(index), accountId).balanceAfterMicros),
      [7_000_000n, 0n, 5_000_000n, 0n],
    );
    assert.ok(value(3).transferId < value(8).transferId && value(8).transferId < value(10).transferId);

    assert.equal(await balanceMicrosOf(database.sql, accountId), 0n);
    assert.equal(await transferCount(`test:${accountId}:`), 5n);
    assert.equal(await transferCount(`test:${accountId}:big`), 0n);
    assert.equal(await transferCount(`test:${accountId}:cny`), 0n);
    assert.equal(await transferCount(`test:${accountId}:malformed`), 0n);
    assert.deepEqual(await checkLedgerInvariants(database.sql), []);
  });

  test('postTransfers answers in the order given, with the refusal\'s reason', async () => {
    const accountId = await fundedAccount(1_000_000n);
    const outcomes = await postTransfers(database.sql, [
      deduction(accountId, 'a', 600_000n),
      deduction(accountId, 'b', 600_000n),
      { ...deduction(accountId, 'no-legs', 1n), legs: [] },
      deduction(accountId, 'c', 400_000n),
    ]);
    assert.deepEqual(
      outcomes.map((outcome) => (outcome.posted ? customerEntry(outcome.result, accountId).balanceAfterMicros : outcome.error.code)),
      [400_000n, 'insufficient_balance', 'malformed_transfer', 0n],
    );
    assert.deepEqual(
      outcomes.map((outcome) => (outcome.posted ? null : outcome.error.message)),
      [null, 'insufficient balance', 'a transfer needs two or more legs', null],
    );
    assert.deepEqual(await postTransfers(database.sql, []), []);
  });

  test('a transfer the batch cannot check for breaks only itself: the batch is posted one by one', async () => {
    const accountId = await fundedAccount(10_000_000n);
    const batcher = new LedgerBatcher(database.sql);
    // The description breaks a check constraint of transfers, which only the insert finds.
    const overLong = { ...deduction(accountId, 'over-long', 1_000_000n), description: 'd'.repeat(501) };
    const settled = await Promise.allSettled([
      batcher.submit(deduction(accountId, 'first', 1_000_000n)),
      batcher.submit(overLong),
      batcher.submit(deduction(accountId, 'last', 1_000_000n)),
    ]);
    await batcher.close();
    assert.deepEqual(batcher.statistics(), { batches: 1, transfers: 3, batchesPostedOneByOne: 1 });
    assert.equal(settled[0]!.status, 'fulfilled');
    assert.equal(settled[2]!.status, 'fulfilled');
    assert.equal(settled[1]!.status, 'rejected');
    const reason = (settled[1] as PromiseRejectedResult).reason;
    assert.ok(reason instanceof postgres.PostgresError, String(reason));
    assert.equal(reason.code, '23514');
    assert.equal(await balanceMicrosOf(database.sql, accountId), 8_000_000n);
  });

  test('a key reused by another transaction while the batch waits for it is refused, and the batch\'s other transfers land', async () => {
    const accountId = await fundedAccount(10_000_000n);
    const otherAccountId = await fundedAccount(10_000_000n);
    const key = 'raced';
    const batcher = new LedgerBatcher(database.sql);
    // Another transaction posts the key as a credit to another customer and stays open, so the batch
    // (whose ledger accounts are all different) neither finds the key nor can insert it until then.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let posted!: () => void;
    const otherPosted = new Promise<void>((resolve) => (posted = resolve));
    const other = database.sql.begin(async (transaction) => {
      await postTransfer(transaction, { ...credit(otherAccountId, key, 1_000_000n), idempotencyKey: `test:${accountId}:${key}` });
      posted();
      await released;
    });
    await otherPosted;
    const settled = Promise.allSettled([
      batcher.submit(deduction(accountId, 'before', 1_000_000n)),
      batcher.submit(deduction(accountId, key, 1_000_000n)),
      batcher.submit(deduction(accountId, 'after', 1_000_000n)),
    ]);
    await backendsWaitingForLocks(1);
    release();
    await other;
    assert.deepEqual((await settled).map(outcomeOf), ['posted', 'idempotency_key_reused', 'posted']);
    await batcher.close();
    assert.equal(batcher.statistics().batchesPostedOneByOne, 1);
    assert.equal(await balanceMicrosOf(database.sql, accountId), 8_000_000n);
    assert.deepEqual(await checkLedgerInvariants(database.sql), []);
  });
});

describe('the batcher', () => {
  test('refuses at once, with a retryable LedgerBusyError, when its queue is full or it is closed', async () => {
    const accountId = await fundedAccount(10_000_000n);
    const batcher = new LedgerBatcher(database.sql, { batchesInFlight: 1, queuedTransfers: 2 });
    const submissions = [1, 2, 3].map((index) => batcher.submit(deduction(accountId, `queued-${index}`, 1_000n)));
    const settled = await Promise.allSettled(submissions);
    assert.deepEqual(settled.map((result) => result.status), ['fulfilled', 'fulfilled', 'rejected']);
    const refusal = (settled[2] as PromiseRejectedResult).reason;
    assert.ok(refusal instanceof LedgerBusyError);
    assert.equal(refusal.retryable, true);
    await batcher.close();
    await assert.rejects(batcher.submit(deduction(accountId, 'after-close', 1_000n)), LedgerBusyError);
    assert.equal(await transferCount(`test:${accountId}:queued-3`), 0n);
    assert.equal(await transferCount(`test:${accountId}:after-close`), 0n);
  });

  test('close() waits for every queued and running batch', async () => {
    const accountId = await fundedAccount(10_000_000n);
    const batcher = new LedgerBatcher(database.sql, { batchesInFlight: 1, transfersPerBatch: 3 });
    let settledCount = 0;
    const submissions = Array.from({ length: 10 }, (_, index) =>
      batcher.submit(deduction(accountId, `drain-${index}`, 1_000n)).finally(() => (settledCount += 1)),
    );
    await batcher.close();
    assert.equal(settledCount, 10);
    await Promise.all(submissions);
    assert.equal(batcher.statistics().batches, 4);
    assert.equal(await balanceMicrosOf(database.sql, accountId), 10_000_000n - 10_000n);
  });

  test('when the database cannot be reached, every transfer of the batch is rejected with the connection\'s error', async () => {
    const deadSql = createSql({ url: `postgres://postgres:postgres@127.0.0.1:${await freePort()}/postgres`, poolSize: 1, applicationName: 'refill-test-dead' });
    const batcher = new LedgerBatcher(deadSql);
    try {
      const settled = await Promise.allSettled(['a', 'b', 'c'].map((key) => batcher.submit(deduction('acct_unreachable', key, 1n))));
      for (const result of settled) {
        assert.equal(result.status, 'rejected');
        assert.ok(!(result.reason instanceof LedgerError));
        assert.equal((result.reason as { code?: string }).code, 'ECONNREFUSED');
      }
      assert.equal(batcher.statistics().batchesPostedOneByOne, 0);
    } finally {
      await batcher.close();
      await closeSql(deadSql, 0);
    }
  });
});

describe('batches under concurrency', () => {
  test('duplicates submitted at once through two processes\' batchers and single posts land once', { timeout: concurrencyTestTimeoutMilliseconds }, async () => {
    const accountId = await fundedAccount(100_000_000n);
    const batchers = [
      new LedgerBatcher(database.sql, { transfersPerBatch: 7 }),
      new LedgerBatcher(otherProcess, { transfersPerBatch: 5 }),
    ];
    const keyCount = 60;
    const submissions: Promise<PromiseSettledResult<PostTransferResult>>[] = [];
    for (let copy = 0; copy < 3; copy += 1) {
      for (let index = 0; index < keyCount; index += 1) {
        const input = deduction(accountId, `duplicate-${index}`, 10_000n);
        submissions.push(settle(batchers[0]!.submit(input)), settle(batchers[1]!.submit(input)));
        if (index % 5 === copy) submissions.push(settle(postTransfer(database.sql, input)));
      }
      // Later copies leave in later batches, while earlier ones are still being posted.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = values(await Promise.all(submissions));
    await Promise.all(batchers.map((batcher) => batcher.close()));

    const byKey = new Map<bigint, PostTransferResult[]>();
    for (const result of results) byKey.set(result.transferId, [...(byKey.get(result.transferId) ?? []), result]);
    assert.equal(byKey.size, keyCount);
    for (const [transferId, copies] of byKey) {
      assert.equal(copies.filter((copy) => !copy.replayed).length, 1, `transfer ${transferId} was reported posted more than once`);
      for (const copy of copies) assert.deepEqual(copy.entries, copies[0]!.entries);
    }
    assert.equal(await transferCount(`test:${accountId}:duplicate-`), BigInt(keyCount));
    assert.equal(await balanceMicrosOf(database.sql, accountId), 100_000_000n - BigInt(keyCount) * 10_000n);
    assert.ok(batchers.every((batcher) => batcher.statistics().batchesPostedOneByOne === 0));
    assert.deepEqual(await checkLedgerInvariants(database.sql), []);
  });

  test('a hot balance under many parallel submissions never goes below zero', { timeout: concurrencyTestTimeoutMilliseconds }, async () => {
    const initialMicros = 1_000_000n;
    const accountId = await fundedAccount(initialMicros);
    const batchers = [
      new LedgerBatcher(database.sql, { transfersPerBatch: 16 }),
      new LedgerBatcher(otherProcess, { transfersPerBatch: 16 }),
    ];
    const deductionMicros = 10_000n;
    const creditMicros = 100_000n;
    const deductions = 600;
    const credits = 20;
    const submissions: Promise<PromiseSettledResult<PostTransferResult>>[] = [];
    for (let index = 0; index < deductions; index += 1) {
      submissions.push(settle(batchers[index % 2]!.submit(deduction(accountId, `hot-${index}`, deductionMicros))));
      // Credits arrive as the workflows post them: one transfer, one commit, between the batches.
      if (index % (deductions / credits) === 0) {
        submissions.push(settle(postTransfer(database.sql, credit(accountId, `hot-credit-${index}`, creditMicros))));
      }
      if (index % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const settled = await Promise.all(submissions);
    await Promise.all(batchers.map((batcher) => batcher.close()));
    // Deductions shared batches, and so commits.
    assert.ok(batchers.every((batcher) => batcher.statistics().transfers > batcher.statistics().batches));

    const outcomes = settled.map(outcomeOf);
    // 6.00 is asked for and 3.00 is there: some deductions land and the rest are refused, nothing else.
    assert.deepEqual(new Set(outcomes), new Set(['posted', 'insufficient_balance']));
    const [counts] = await database.sql<{ deductions: bigint; credits: bigint; lowest: bigint }[]>`
      select count(*) filter (where t.flow_type = 'consume')::bigint as deductions,
             count(*) filter (where t.flow_type = 'recharge' and t.idempotency_key like 'test:%')::bigint as credits,
             min(e.balance_after_micros)::bigint as lowest
      from transfers t join entries e on e.transfer_id = t.id
      join ledger_accounts l on l.id = e.ledger_account_id and l.code = ${customerBalanceCode(accountId)}`;
    assert.equal(counts!.credits, BigInt(credits));
    assert.equal(counts!.deductions, BigInt(outcomes.filter((outcome) => outcome === 'posted').length) - BigInt(credits));
    assert.ok(counts!.lowest >= 0n, `the balance went to ${counts!.lowest}`);
    const expected = initialMicros + BigInt(credits) * creditMicros - counts!.deductions * deductionMicros;
    assert.equal(await balanceMicrosOf(database.sql, accountId), expected);
    assert.ok(expected >= 0n);
    assert.deepEqual(await checkLedgerInvariants(database.sql), []);
  });

  test('two processes\' batchers moving money both ways between the same accounts never deadlock', { timeout: concurrencyTestTimeoutMilliseconds }, async () => {
    const accountIds = await Promise.all(Array.from({ length: 6 }, () => fundedAccount(100_000_000n)));
    const runId = randomToken(8);
    const batchers = [
      new LedgerBatcher(database.sql, { transfersPerBatch: 8 }),
      new LedgerBatcher(otherProcess, { transfersPerBatch: 8 }),
    ];
    const rounds = 300;
    const submissions: Promise<PromiseSettledResult<PostTransferResult>>[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const from = accountIds[round % accountIds.length]!;
      const to = accountIds[(round + 1) % accountIds.length]!;
      // The first process moves money forwards around the ring, the second backwards, with legs in
      // the opposite order, and single transfers cut across both.
      submissions.push(settle(batchers[0]!.submit(move(from, to, `${runId}-forward-${round}`, 1_000n))));
      submissions.push(settle(batchers[1]!.submit(move(to, from, `${runId}-backward-${round}`, 2_000n))));
      const across = accountIds[(round + 3) % accountIds.length]!;
      if (round % 10 === 0) submissions.push(settle(postTransfer(database.sql, move(across, from, `${runId}-single-${round}`, 500n))));
      if (round % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const results = values(await Promise.all(submissions));
    await Promise.all(batchers.map((batcher) => batcher.close()));

    assert.ok(results.every((result) => !result.replayed));
    // A deadlock would have been broken by Postgres, failing a batch, which is then posted one by one.
    assert.deepEqual(batchers.map((batcher) => batcher.statistics().batchesPostedOneByOne), [0, 0]);
    for (const batcher of batchers) {
      const { batches, transfers } = batcher.statistics();
      assert.ok(batches > 1 && transfers > batches, `${transfers} transfers in ${batches} batches`);
    }
    const balances = await Promise.all(accountIds.map((accountId) => balanceMicrosOf(database.sql, accountId)));
    assert.equal(balances.reduce((sum, balance) => sum + balance, 0n), BigInt(accountIds.length) * 100_000_000n);
    assert.deepEqual(await checkLedgerInvariants(database.sql), []);
  });
});

describe('a single transfer waiting for its locks', () => {
  test('is answered as a replay when its duplicate commits first, not refused for the money the duplicate took', async () => {
    const accountId = await fundedAccount(1_000_000n);
    const input = deduction(accountId, 'all-of-it', 1_000_000n);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const balanceLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = database.sql.begin(async (transaction) => {
      await transaction`select 1 from ledger_accounts where code = ${customerBalanceCode(accountId)} for update`;
      locked();
      await released;
    });
    await balanceLocked;
    // Both have looked the key up and found nothing before either can lock the balance.
    const copies = [postTransfer(database.sql, input), postTransfer(otherProcess, input)];
    await backendsWaitingForLocks(2);
    release();
    await holder;
    const settled = await Promise.allSettled(copies);
    assert.deepEqual(settled.map(outcomeOf).sort(), ['posted', 'replayed']);
    assert.equal(await balanceMicrosOf(database.sql, accountId), 0n);
    assert.equal(await transferCount(`test:${accountId}:all-of-it`), 1n);
  });
});

describe('POST /v1/consumptions through the batcher', () => {
  test('a batcher that takes no more transfers is answered with 503 service_unavailable, and nothing is deducted', async () => {
    const account = await createAccount(database.sql, { email: 'busy@example.com', currency: 'USD' });
    const batcher = new LedgerBatcher(database.sql);
    await batcher.close();
    const api = await startTestApi({ sql: database.sql, databaseUrl: database.url, ledgerBatcher: batcher });
    try {
      const response = await api.request('POST', '/v1/consumptions', {
        token: account.apiKey,
        idempotencyKey: 'while-busy',
        body: { amount: '0.000001', description: 'usage' },
      });
      assert.equal(response.status, 503, response.text);
      assert.equal(response.body.error.code, 'service_unavailable');
      assert.equal(await transferCount(consumptionIdempotencyKey(account.accountId, 'while-busy')), 0n);
    } finally {
      await api.close();
    }
  });
});
