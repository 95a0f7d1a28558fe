// `npm run bench:holds-http`: POST /v1/consumptions and hold+capture pairs (POST /v1/holds, then
// POST /v1/holds/{id}/capture) through the real Express app over HTTP, with 20 and 100 concurrent
// clients, on one hot account and on many, against a fresh durable local PostgreSQL. Each client waits
// for one request (or pair) at a time. The app runs in this process, as api/main.ts builds it.
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { createApp, createHttpServer } from '../api/app.ts';
import { loadConfig } from '../config/config.ts';
import { loadPricing } from '../config/pricing.ts';
import { closeSql, createSql } from '../db/client.ts';
import { LedgerBatcher } from '../db/ledger/ledger-batcher.ts';
import { recordRecharge } from '../db/ledger/record-recharge.ts';
import { migrate } from '../db/migrate.ts';
import { startLocalPostgres } from '../dev/postgres.ts';
import { freePort } from '../dev/ports.ts';
import { microsPerUnit } from '../domain/money.ts';
import { randomToken } from '../ids/ids.ts';
import { createLogger } from '../observability/logger.ts';

const phaseMilliseconds = 4_000;
const clientCounts = [20, 100];
const accountCount = 50;
const poolSize = 20;
const adminToken = `bench-admin-${randomToken(12)}`;
const initialCreditMicros = 1_000_000n * microsPerUnit;

interface Phase {
  perSecond: number;
  /** Milliseconds of each request (or of each pair's capture), sorted. */
  latencies: Float64Array;
}

function percentile(sorted: Float64Array, fraction: number): string {
  if (sorted.length === 0) return 'n/a';
  return `${sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!.toFixed(1)}ms`;
}

async function runPhase(clients: number, operation: () => Promise<number>): Promise<Phase> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + phaseMilliseconds;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) latencies.push(await operation());
    }),
  );
  return { perSecond: Math.round(latencies.length / ((performance.now() - started) / 1_000)), latencies: Float64Array.from(latencies).sort() };
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'refill-bench-http-'));
  const postgres = await startLocalPostgres({ dataDirectory: path.join(scratch, 'postgres'), port: await freePort(), durable: true, log: () => {} });
  const sql = createSql({ url: postgres.url, poolSize, applicationName: 'refill-bench-http' });
  const ledgerBatcher = new LedgerBatcher(sql, { batchesInFlight: 2 });
  const config = loadConfig({ DATABASE_URL: postgres.url, TEMPORAL_ADDRESS: '127.0.0.1:1', ADMIN_TOKEN: adminToken, LOG_LEVEL: 'silent' });
  const temporalConnection = Connection.lazy({ address: config.temporal.address });
  const temporalClient = new Client({ connection: temporalConnection, namespace: config.temporal.namespace });
  const logger = createLogger('refill-bench-http', 'silent');
  const app = createApp({ config, sql, ledgerBatcher, temporalConnection, temporalClient, logger, pricing: loadPricing() });
  const server = createHttpServer(app, config.http.timeouts, logger).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await migrate(sql);
    const request = async (method: string, route: string, token: string, body: unknown, key?: string) => {
      const response = await fetch(`${baseUrl}${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
        body: JSON.stringify(body),
      });
      const parsed = await response.json();
      if (response.status >= 300) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(parsed)}`);
      return parsed as Record<string, string>;
    };
    const keys: string[] = [];
    for (let index = 0; index < accountCount; index += 1) {
      const account = await request('POST', '/admin/accounts', adminToken, { email: `http-${index}@example.com`, currency: 'USD' });
      await recordRecharge(sql, {
        orderId: `ord_http_${randomToken(12)}`,
        accountId: account.account_id!,
        currency: 'USD',
        payAmountMicros: initialCreditMicros,
        creditMicros: initialCreditMicros,
        description: 'benchmark funding',
      });
      keys.push(account.api_key!);
    }
    const pick = (hot: boolean) => (hot ? keys[0]! : keys[Math.floor(Math.random() * keys.length)]!);
    const timed = async (step: () => Promise<unknown>) => {
      const started = performance.now();
      await step();
      return performance.now() - started;
    };
    console.log(`holds over HTTP: ${os.cpus().length} cores, node ${process.version}, ${phaseMilliseconds / 1_000}s a phase, the app in this process`);
    for (const clients of clientCounts) {
      for (const hot of [true, false]) {
        const consumptions = await runPhase(clients, () =>
          timed(() => request('POST', '/v1/consumptions', pick(hot), { amount: '0.01', description: 'bench' }, randomToken())),
        );
        const pairs = await runPhase(clients, async () => {
          const token = pick(hot);
          const hold = await request('POST', '/v1/holds', token, { amount: '0.02', description: 'bench' }, randomToken());
          return timed(() => request('POST', `/v1/holds/${hold.id}/capture`, token, { amount: '0.01' }));
        });
        console.log(
          `   ${hot ? 'one hot account' : `${accountCount} accounts`}, ${clients} clients: POST /v1/consumptions ${consumptions.perSecond}/s ` +
            `(p50 ${percentile(consumptions.latencies, 0.5)}, p99 ${percentile(consumptions.latencies, 0.99)}); ` +
            `hold+capture ${pairs.perSecond} pairs/s (capture p50 ${percentile(pairs.latencies, 0.5)}, p99 ${percentile(pairs.latencies, 0.99)}); ` +
            `pairs/consumptions=${(pairs.perSecond / consumptions.perSecond).toFixed(2)}`,
        );
      }
    }
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await ledgerBatcher.close();
    await closeSql(sql);
    await temporalConnection.close();
    await postgres.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
