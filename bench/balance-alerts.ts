// `npm run bench:balance-alerts`: what the low-balance alert trigger (migration 0014) costs the batched
// deduction path. Three workloads on one fresh durable Postgres, each deducting through a LedgerBatcher
// as POST /v1/consumptions does, from many accounts with 20 concurrent workers, in interleaved rounds:
//   without-trigger - the trigger dropped: the ledger as it was before the migration;
//   no-alerts       - the trigger present, accounts without thresholds (its WHEN clause is false);
//   with-alerts     - every account has two thresholds, which no deduction crosses.
// It prints deductions per second for each round. Figures are noisy on a shared machine: compare the
// rounds of one run, never figures across runs.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createAccount } from '../db/accounts/create-account.ts';
import { putBalanceAlerts } from '../db/balance-alerts/put-balance-alerts.ts';
import { closeSql, createSql, type Sql } from '../db/client.ts';
import { LedgerBatcher } from '../db/ledger/ledger-batcher.ts';
import { recordConsumptionBatched } from '../db/ledger/record-consumption.ts';
import { recordRecharge } from '../db/ledger/record-recharge.ts';
import { migrate } from '../db/migrate.ts';
import { startLocalPostgres } from '../dev/postgres.ts';
import { freePort } from '../dev/ports.ts';
import { microsPerUnit } from '../domain/money.ts';
import { randomToken } from '../ids/ids.ts';

const workerCount = 20;
const accountCount = 200;
const phase_ms = 3_000;
const rounds = 3;
const currency = 'USD';
const initialCreditMicros = 1_000_000n * microsPerUnit;
const deductionMicros = 10_000n;

type Workload = 'without-trigger' | 'no-alerts' | 'with-alerts';

async function fundedAccounts(sql: Sql): Promise<string[]> {
  const accounts: string[] = [];
  for (let index = 0; index < accountCount; index++) {
    const { accountId } = await createAccount(sql, { email: `bench-${index}@example.com`, currency });
    await recordRecharge(sql, { orderId: `ord_${randomToken()}`, accountId, currency, payAmountMicros: initialCreditMicros, creditMicros: initialCreditMicros, description: 'bench' });
    accounts.push(accountId);
  }
  return accounts;
}

/** Deductions per second over one phase, each worker waiting for one deduction at a time. */
async function deductionsPerSecond(batcher: LedgerBatcher, accounts: string[]): Promise<number> {
  let completed = 0;
  const began = performance.now();
  const worker = async () => {
    while (performance.now() - began < phase_ms) {
      const accountId = accounts[Math.floor(Math.random() * accounts.length)]!;
      await recordConsumptionBatched(batcher, { accountId, currency, idempotencyKey: randomToken(), amountMicros: deductionMicros, description: 'bench', userReference: null, metadata: null });
      completed += 1;
    }
  };
  await Promise.all(Array.from({ length: workerCount }, worker));
  return completed / ((performance.now() - began) / 1_000);
}

async function prepare(sql: Sql, accounts: string[], workload: Workload): Promise<void> {
  if (workload === 'without-trigger') await sql`drop trigger if exists ledger_accounts_balance_alerts on ledger_accounts`;
  else {
    await sql`
      create or replace trigger ledger_accounts_balance_alerts after update of balance_micros on ledger_accounts for each row
        when (new.balance_alert_thresholds_micros is not null and new.balance_micros <> old.balance_micros)
        execute function balance_alert_events()`;
  }
  const thresholds = workload === 'with-alerts' ? [20n * microsPerUnit, 5n * microsPerUnit] : [];
  for (const accountId of accounts) await putBalanceAlerts(sql, accountId, { thresholdsMicros: thresholds, email: false });
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'refill-bench-alerts-'));
  const server = await startLocalPostgres({ dataDirectory: path.join(scratch, 'postgres'), port: await freePort(), durable: true, log: () => {} });
  const sql = createSql({ url: server.url, poolSize: workerCount + 2, applicationName: 'refill-bench' });
  try {
    await migrate(sql);
    const accounts = await fundedAccounts(sql);
    const batcher = new LedgerBatcher(sql);
    const figures: Record<Workload, number[]> = { 'without-trigger': [], 'no-alerts': [], 'with-alerts': [] };
    for (let round = 0; round < rounds; round++) {
      for (const workload of Object.keys(figures) as Workload[]) {
        await prepare(sql, accounts, workload);
        figures[workload].push(Math.round(await deductionsPerSecond(batcher, accounts)));
      }
    }
    await batcher.close();
    for (const [workload, values] of Object.entries(figures)) console.log(`${workload.padEnd(16)} deductions/s by round: ${values.join(', ')}`);
  } finally {
    await closeSql(sql);
    await server.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
