// The ledger on a real Postgres: exactly-once transfers, no overdraft, invariants under concurrency.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAccount } from '../db/accounts/create-account.ts';
import { checkLedgerInvariants } from '../db/ledger/check-invariants.ts';
import { customerBalanceCode, platformAccountCode } from '../db/ledger/ledger-account-codes.ts';
import { LedgerError, postTransfer } from '../db/ledger/post-transfer.ts';
import { recordConsumption } from '../db/ledger/record-consumption.ts';
import { recordRecharge } from '../db/ledger/record-recharge.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { balanceMicrosOf } from './support/ledger.ts';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase(20);
});
after(async () => {
  await database.close();
});

async function newAccount(currency: 'USD' | 'CNY' = 'USD') {
  return createAccount(database.sql, { email: 'ledger@example.com', currency });
}

function consume(accountId: string, key: string, amountMicros: bigint) {
  return recordConsumption(database.sql, {
    accountId,
    currency: 'USD',
    idempotencyKey: key,
    amountMicros,
    description: 'usage',
    userReference: null,
    metadata: null,
  });
}

function recharge(accountId: string, orderId: string, payAmountMicros: bigint, creditMicros: bigint) {
  return recordRecharge(database.sql, {
    orderId,
    accountId,
    currency: 'USD',
    payAmountMicros,
    creditMicros,
    description: 'top-up',
  });
}

describe('ledger transfers', () => {
  test('a recharge credits amount plus bonus and records the balance after it', async () => {
    const account = await newAccount();
    const result = await recharge(account.accountId, `ord_${account.accountId}`, 100_000_000n, 110_000_000n);
    assert.equal(result.replayed, false);
    assert.equal(result.balanceAfterMicros, 110_000_000n);
    assert.equal(await balanceMicrosOf(database.sql, account.accountId), 110_000_000n);
    assert.deepEqual(await checkLedgerInvariants(database.sql), []);
  });

  test('the same key with the same content returns the original transfer and records nothing more', async () => {
    const account = await newAccount();
    await recharge(account.accountId, `ord_once_${account.accountId}`, 50_000_000n, 50_000_000n);
    const first = await consume(account.accountId, 'request-1', 1_500_000n);
    const second = await consume(account.accountId, 'request-1', 1_500_000n);
    assert.equal(second.replayed, true);
    assert.equal(second.flow.entryId, first.flow.entryId);
    assert.equal(second.flow.balanceAfterMicros, 48_500_000n);
    assert.equal(await balanceMicrosOf(database.sql, account.accountId), 48_500_000n);
  });

  test('the same key with different content is refused as idempotency_key_reused', async () => {
    const account = await newAccount();
    await recharge(account.accountId, `ord_reuse_${account.accountId}`, 50_000_000n, 50_000_000n);
    await consume(account.accountId, 'request-2', 1_000_000n);
    await assert.rejects(consume(account.accountId, 'request-2', 2_000_000n), (error: unknown) => {
      assert.ok(error instanceof LedgerError);
      assert.equal(error.code, 'idempotency_key_reused');
      return true;
    });
    assert.equal(await balanceMicrosOf(database.sql, account.accountId), 49_000_000n);
  });

  test('two accounts may use the same client key independently', async () => {
    const first = await newAccount();
    const second = await newAccount();
    await recharge(first.accountId, `ord_a_${first.accountId}`, 10_000_000n, 10_000_000n);
    await recharge(second.accountId, `ord_b_${second.accountId}`, 10_000_000n, 10_000_000n);
    await consume(first.accountId, 'shared-key', 1_000_000n);
    const result = await consume(second.accountId, 'shared-key', 3_000_000n);
    assert.equal(result.replayed, false);
    assert.equal(await balanceMicrosOf(database.sql, second.accountId), 7_000_000n);
  });

  test('a deduction below zero is refused with nothing recorded, and the key stays usable', async () => {
    const account = await newAccount();
    await recharge(account.accountId, `ord_low_${account.accountId}`, 5_000_000n, 5_000_000n);
    await assert.rejects(consume(account.accountId, 'too-much', 5_000_001n), (error: unknown) => {
      assert.ok(error instanceof LedgerError);
      assert.equal(error.code, 'insufficient_balance');
      return true;
    });
    assert.equal(await balanceMicrosOf(database.sql, account.accountId), 5_000_000n);
    const [row] = await database.sql<{ count: bigint }[]>`
      select count(*)::bigint as count from transfers where idempotency_key like ${'consume:' + account.accountId + ':%'}`;
    assert.equal(row?.count, 0n);
    const exact = await consume(account.accountId, 'too-much', 5_000_000n);
    assert.equal(exact.flow.balanceAfterMicros, 0n);
  });

  test('a transfer whose legs do not add up to zero is refused', async () => {
    const account = await newAccount();
    await assert.rejects(
      postTransfer(database.sql, {
        idempotencyKey: `broken:${account.accountId}`,
        flowType: 'adjustment',
        currency: 'USD',
        accountId: account.accountId,
        description: null,
        userReference: null,
        orderId: null,
        metadata: null,
        legs: [
          { code: customerBalanceCode(account.accountId), amountMicros: 10n },
          { code: platformAccountCode('promotional', 'USD', account.accountId), amountMicros: -9n },
        ],
      }),
      (error: unknown) => error instanceof LedgerError && error.code === 'malformed_transfer',
    );
  });

  test('a transfer in a currency other than the ledger accounts\' is refused', async () => {
    const account = await newAccount('CNY');
    await assert.rejects(
      recordRecharge(database.sql, {
        orderId: `ord_currency_${account.accountId}`,
        accountId: account.accountId,
        currency: 'USD',
        payAmountMicros: 1_000_000n,
        creditMicros: 1_000_000n,
        description: 'wrong currency',
      }),
      (error: unknown) => error instanceof LedgerError && error.code === 'unknown_ledger_account',
    );
  });

  test('entries and transfers cannot be changed or deleted', async () => {
    const account = await newAccount();
    await recharge(account.accountId, `ord_immutable_${account.accountId}`, 1_000_000n, 1_000_000n);
    await assert.rejects(database.sql`update entries set amount_micros = amount_micros + 1`, /immutable/);
    await assert.rejects(database.sql`delete from transfers`, /immutable/);
  });
});

describe('ledger under concurrency', () => {
  test('parallel credits and deductions with duplicated keys on one hot account keep every invariant', async () => {
    const account = await newAccount();
    const creditCount = 40;
    const deductionCount = 200;
    const creditMicros = 1_000_000n;
    const deductionMicros = 300_000n;
    const operations: Promise<unknown>[] = [];
    // Each key is sent three times at once; only one of each may land.
    for (let copy = 0; copy < 3; copy += 1) {
      for (let index = 0; index < creditCount; index += 1) {
        operations.push(recharge(account.accountId, `ord_hot_${account.accountId}_${index}`, creditMicros, creditMicros));
      }
      for (let index = 0; index < deductionCount; index += 1) {
        operations.push(consume(account.accountId, `hot-${index}`, deductionMicros));
      }
    }
    const results = await Promise.allSettled(operations);
    const unexpected = results.filter(
      (result) =>
        result.status === 'rejected' &&
        !(result.reason instanceof LedgerError && result.reason.code === 'insufficient_balance'),
    );
    assert.deepEqual(unexpected, []);

    const [counts] = await database.sql<{ credits: bigint; deductions: bigint }[]>`
      select count(*) filter (where flow_type = 'recharge')::bigint as credits,
             count(*) filter (where flow_type = 'consume')::bigint as deductions
      from transfers where account_id = ${account.accountId}`;
    assert.equal(counts?.credits, BigInt(creditCount));
    const expectedBalance = BigInt(creditCount) * creditMicros - counts!.deductions * deductionMicros;
    assert.equal(await balanceMicrosOf(database.sql, account.accountId), expectedBalance);
    assert.ok(expectedBalance >= 0n);
    assert.deepEqual(await checkLedgerInvariants(database.sql), []);
  });

  test('transfers across many accounts in parallel never deadlock and keep every invariant', async () => {
    const accounts = await Promise.all(Array.from({ length: 10 }, () => newAccount()));
    const operations = accounts.flatMap((account, accountIndex) =>
      Array.from({ length: 20 }, async (_, index) => {
        await recharge(account.accountId, `ord_many_${accountIndex}_${index}_${account.accountId}`, 2_000_000n, 2_500_000n);
        await consume(account.accountId, `many-${index}`, 1_000_000n);
      }),
    );
    await Promise.all(operations);
    for (const account of accounts) assert.equal(await balanceMicrosOf(database.sql, account.accountId), 30_000_000n);
    assert.deepEqual(await checkLedgerInvariants(database.sql), []);
  });
});
