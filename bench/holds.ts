// The holds part of `npm run bench:ledger` (called from bench/ledger.ts, on its server and pool):
//   A. plain deductions before and after holds, in the same run: a database migrated as main was
//      (migrations up to 0011: no holds trigger, constraint or index) beside one migrated through 0012,
//      the same batcher code on both (db/ledger/ledger-batcher.ts and post-transfers.ts are unchanged),
//      the phases interleaved old, new, old, new so that drift of the machine falls on both alike;
//   B. holds/s, hold+capture pairs/s (with the capture's latency) and plain deductions/s, on many
//      accounts and on one hot account, with 20 and 200 workers, all through the same LedgerBatcher.
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { createAccount } from '../db/accounts/create-account.ts';
import { closeSql, createSql, type Sql } from '../db/client.ts';
import { createHold } from '../db/holds/create-hold.ts';
import { settleHold } from '../db/holds/settle-hold.ts';
import { checkLedgerInvariants } from '../db/ledger/check-invariants.ts';
import { LedgerBatcher } from '../db/ledger/ledger-batcher.ts';
import { recordConsumptionBatched } from '../db/ledger/record-consumption.ts';
import { recordRecharge } from '../db/ledger/record-recharge.ts';
import { migrate } from '../db/migrate.ts';
import { microsPerUnit } from '../domain/money.ts';
import { randomToken } from '../ids/ids.ts';

const currency = 'USD';
const phaseMilliseconds = 3_000;
const accountCount = 200;
const initialCreditMicros = 1_000_000n * microsPerUnit;
const amountMicros = 10_000n;
/** The last migration main had before holds: the "before" database stops there. */
const lastMigrationBeforeHolds = 11;
const migrationsDirectory = fileURLToPath(new URL('../db/migrations/', import.meta.url));

interface Phase {
  completed: number;
  perSecond: number;
  /** Milliseconds of the timed step (a deduction, a hold, or a pair's capture), sorted. */
  latencies: Float64Array;
}

/** `workers` loops for phaseMilliseconds; each awaits one operation at a time and reports its timed step. */
async function runPhase(workers: number, operation: () => Promise<number>): Promise<Phase> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + phaseMilliseconds;
  const loop = async () => {
    while (performance.now() < deadline) latencies.push(await operation());
  };
  await Promise.all(Array.from({ length: workers }, loop));
  const seconds = (performance.now() - started) / 1_000;
  return { completed: latencies.length, perSecond: Math.round(latencies.length / seconds), latencies: Float64Array.from(latencies).sort() };
}

function percentile(sorted: Float64Array, fraction: number): string {
  if (sorted.length === 0) return 'n/a';
  const value = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)}ms`;
}

async function timed(step: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await step();
  return performance.now() - started;
}

interface Ledger {
  sql: Sql;
  batcher: LedgerBatcher;
  accountIds: string[];
  hotAccountId: string;
}

async function fundedAccounts(sql: Sql, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, count - start) }, async (_, index) => {
        const account = await createAccount(sql, { email: `holds-${start + index}@example.com`, currency });
        await recordRecharge(sql, {
          orderId: `ord_holds_${randomToken(12)}`,
          accountId: account.accountId,
          currency,
          payAmountMicros: initialCreditMicros,
          creditMicros: initialCreditMicros,
          description: 'benchmark funding',
        });
        return account.accountId;
      }),
    );
    ids.push(...batch);
  }
  return ids;
}

/** A database beside the bench's own on the same server, migrated with the first `upTo` migrations. */
async function siblingLedger(databaseUrl: string, poolSize: number, upTo: number): Promise<Ledger & { close(): Promise<void> }> {
  const name = `refill_bench_holds_${randomToken(12)}`;
  const administrator = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  // The name is generated here, never taken from input, so it is safe to splice into the statement.
  await administrator.unsafe(`create database ${name}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  const sql = createSql({ url: url.toString(), poolSize, applicationName: 'refill-bench-holds' });
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'refill-bench-migrations-'));
  for (const file of await readdir(migrationsDirectory)) {
    if (Number(file.slice(0, 4)) <= upTo) await cp(path.join(migrationsDirectory, file), path.join(scratch, file));
  }
  await migrate(sql, scratch);
  await rm(scratch, { recursive: true, force: true });
  const accountIds = await fundedAccounts(sql, accountCount + 1);
  const hotAccountId = accountIds.pop()!;
  const batcher = new LedgerBatcher(sql);
  return {
    sql,
    batcher,
    accountIds,
    hotAccountId,
    close: async () => {
      await batcher.close();
      await closeSql(sql);
      await administrator.unsafe(`drop database if exists ${name} with (force)`);
      await administrator.end();
    },
  };
}

type Workload = 'many' | 'hot';

function pickAccount(ledger: Ledger, workload: Workload): string {
  return workload === 'hot' ? ledger.hotAccountId : ledger.accountIds[Math.floor(Math.random() * ledger.accountIds.length)]!;
}

function deductionPhase(ledger: Ledger, workload: Workload, workers: number): Promise<Phase> {
  return runPhase(workers, () =>
    timed(() =>
      recordConsumptionBatched(ledger.batcher, {
        accountId: pickAccount(ledger, workload),
        currency,
        idempotencyKey: randomToken(),
        amountMicros,
        description: 'benchmark usage',
        userReference: null,
        metadata: null,
      }),
    ),
  );
}

function newHold(ledger: Ledger, workload: Workload) {
  return createHold(ledger.sql, ledger.batcher, {
    accountId: pickAccount(ledger, workload),
    currency,
    idempotencyKey: randomToken(),
    amountMicros,
    description: 'benchmark call',
    userReference: null,
    expiresInSeconds: 600,
    metadata: null,
  });
}

function holdPhase(ledger: Ledger, workload: Workload, workers: number): Promise<Phase> {
  return runPhase(workers, () => timed(() => newHold(ledger, workload)));
}

/** A hold and then its capture of part of it; the timed step is the capture. */
function pairPhase(ledger: Ledger, workload: Workload, workers: number): Promise<Phase> {
  return runPhase(workers, async () => {
    const { hold } = await newHold(ledger, workload);
    return timed(() =>
      settleHold(ledger.sql, ledger.batcher, { accountId: hold.accountId, holdId: hold.id, outcome: 'captured', capturedMicros: amountMicros / 2n, description: null }),
    );
  });
}

/** Runs parts A and B and prints their figures; throws when the holds' ledger breaks an invariant. */
export async function holdsBenchmark(databaseUrl: string, poolSize: number): Promise<void> {
  const before = await siblingLedger(databaseUrl, poolSize, lastMigrationBeforeHolds);
  const after = await siblingLedger(databaseUrl, poolSize, Number.MAX_SAFE_INTEGER);
  try {
    console.log(`holds A. plain deductions, main's schema (0001-0011) beside this one's, interleaved, ${phaseMilliseconds / 1_000}s each:`);
    for (const [workload, workers] of [['hot', 20], ['many', 20], ['hot', 200]] as const) {
      const rates = { before: [] as number[], after: [] as number[] };
      for (let round = 0; round < 2; round += 1) {
        rates.before.push((await deductionPhase(before, workload, workers)).perSecond);
        rates.after.push((await deductionPhase(after, workload, workers)).perSecond);
      }
      const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
      console.log(
        `   ${workload} account(s), ${workers} workers: before ${rates.before.join(', ')}/s, after ${rates.after.join(', ')}/s; after/before=${(mean(rates.after) / mean(rates.before)).toFixed(2)}`,
      );
    }
    console.log(`holds B. through the same batcher, ${phaseMilliseconds / 1_000}s each (many = ${accountCount} accounts):`);
    for (const workers of [20, 200]) {
      for (const workload of ['many', 'hot'] as const) {
        const deductions = await deductionPhase(after, workload, workers);
        const holds = await holdPhase(after, workload, workers);
        const pairs = await pairPhase(after, workload, workers);
        console.log(
          `   ${workload}, ${workers} workers: deductions/s=${deductions.perSecond} holds/s=${holds.perSecond} hold+capture pairs/s=${pairs.perSecond} ` +
            `(pairs/deductions=${(pairs.perSecond / deductions.perSecond).toFixed(2)}) capture p50=${percentile(pairs.latencies, 0.5)} p99=${percentile(pairs.latencies, 0.99)} ` +
            `deduction p50=${percentile(deductions.latencies, 0.5)}; batches one by one: ${after.batcher.statistics().batchesPostedOneByOne}`,
        );
      }
    }
    const violations = await checkLedgerInvariants(after.sql);
    console.log(`holds invariants: ${violations.length === 0 ? 'all hold' : violations.map((violation) => `${violation.invariant}: ${violation.detail}`).join('; ')}`);
    if (violations.length > 0) throw new Error('the holds benchmark broke the ledger invariants');
  } finally {
    await before.close();
    await after.close();
  }
}
