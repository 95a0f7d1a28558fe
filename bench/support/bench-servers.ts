// The servers a pipeline benchmark runs Refill against: a throwaway PostgreSQL, a Temporal dev server,
// stripe-mock and a mail inbox on free ports, and the environment that starts the API and the worker
// on them in Stripe mode. Shared by bench/pipeline.ts and bench/worker-crash.ts.
import path from 'node:path';
import { startMailInbox, type MailInbox } from '../../dev/mail-inbox.ts';
import { freePort } from '../../dev/ports.ts';
import { startLocalPostgres, type LocalPostgres } from '../../dev/postgres.ts';
import { startStripeMock } from '../../dev/stripe-mock.ts';
import { startLocalTemporal, type LocalTemporal } from '../../dev/temporal.ts';
import { stripeMockPath, temporalCliPath } from '../../dev/tools.ts';
import { randomToken } from '../../ids/ids.ts';

export interface BenchServers {
  postgres: LocalPostgres;
  temporal: LocalTemporal;
  stripeMock: Awaited<ReturnType<typeof startStripeMock>>;
  inbox: MailInbox;
  apiPort: number;
  /** The API's and the worker's environment. */
  environment: NodeJS.ProcessEnv;
}

/** Starts the servers, each pushing its stop onto `stops` (the caller stops them in reverse). */
export async function startBenchServers(
  scratch: string,
  stops: (() => Promise<void>)[],
  secrets: { adminToken: string; webhookSecret: string },
): Promise<BenchServers> {
  const postgres = await startLocalPostgres({ dataDirectory: path.join(scratch, 'postgres'), port: await freePort(), durable: false, log: () => {} });
  stops.push(() => postgres.stop());
  const temporal = await startLocalTemporal({ cliPath: temporalCliPath(process.env), port: await freePort(), uiPort: null, databaseFile: null, onLine: () => {} });
  stops.push(() => temporal.stop());
  const stripeMock = await startStripeMock(stripeMockPath(process.env), await freePort(), () => {});
  stops.push(() => stripeMock.stop());
  const inbox = await startMailInbox({ smtpPort: 0, webPort: null, storageDirectory: null });
  stops.push(() => inbox.stop());
  const apiPort = await freePort();
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: postgres.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `refill-bench-${randomToken(6)}`,
    ADMIN_TOKEN: secrets.adminToken,
    STRIPE_SECRET_KEY: 'sk_test_bench',
    STRIPE_WEBHOOK_SECRET: secrets.webhookSecret,
    STRIPE_API_BASE: stripeMock.apiBase,
    SMTP_URL: inbox.smtpUrl,
    PORT: String(apiPort),
    LOG_LEVEL: 'info',
    // The load comes from one key and one address: the API's rate limits are not what is measured.
    RATE_LIMIT_ORDERS_PER_KEY: '0',
    RATE_LIMIT_WEBHOOKS_PER_ADDRESS: '0',
  };
  return { postgres, temporal, stripeMock, inbox, apiPort, environment };
}
