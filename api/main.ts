// The API process: validates config, migrates the database, connects to Temporal, serves HTTP. With
// API_PROCESSES > 1 this process is the primary of a cluster (api/api-cluster.ts) and each process it
// forks runs serve().
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config/config.ts';
import { readConfigurationOrExit, startProcessFoundation } from '../config/startup.ts';
import { loadPricing } from '../config/pricing.ts';
import { closeSql } from '../db/client.ts';
import { startHoldSweeper } from '../db/holds/hold-sweeper.ts';
import { LedgerBatcher, maximumBatchesInFlight } from '../db/ledger/ledger-batcher.ts';
import { createLogger } from '../observability/logger.ts';
import { ledgerBatcherMetrics, watchLedgerQueue } from '../observability/metrics.ts';
import { runApiCluster } from './api-cluster.ts';
import { startApiKeyCache } from './api-key-cache.ts';
import { createApp, createHttpServer } from './app.ts';

const shutdownTimeoutMilliseconds = 10_000;

/** One API process: its own database pool, ledger batcher, API key cache and HTTP server. */
async function serve(): Promise<void> {
  const { config, logger, sql } = await startProcessFoundation('refill-api');
  const pricing = readConfigurationOrExit(() => loadPricing());
  // Leaves connections for the API's other queries (authentication, reads) while batches are posted.
  const ledgerBatcher = new LedgerBatcher(sql, {
    batchesInFlight: Math.max(1, Math.min(maximumBatchesInFlight, config.database.poolSize - 1)),
    observer: ledgerBatcherMetrics,
  });
  watchLedgerQueue(() => ledgerBatcher.queueDepth());
  const keyCache = await startApiKeyCache(config, logger);

  // A lazy connection lets the API start (and report not-ready on /readyz) while Temporal is still coming up.
  const temporalConnection = Connection.lazy({ address: config.temporal.address });
  const temporalClient = new Client({ connection: temporalConnection, namespace: config.temporal.namespace });

  // Releases expired holds; the worker runs one too, so either process alone keeps expiry within seconds.
  const holdSweeper = startHoldSweeper(sql, ledgerBatcher, logger);

  const app = createApp({ config, sql, ledgerBatcher, temporalConnection, temporalClient, logger, pricing, apiKeyCache: keyCache.cache });
  const server: Server = createHttpServer(app, config.http.timeouts, logger).listen(config.api.port, () => {
    logger.info({ port: config.api.port, publicBaseUrl: config.api.publicBaseUrl, pid: process.pid }, 'API listening');
  });

  async function shutdown(signal: string): Promise<void> {
    logger.info({ signal }, 'API stopping');
    const forced = setTimeout(() => process.exit(1), shutdownTimeoutMilliseconds);
    forced.unref();
    await new Promise((resolve) => server.close(resolve));
    await holdSweeper.stop();
    await ledgerBatcher.close();
    await keyCache.close();
    await closeSql(sql);
    await temporalConnection.close();
    process.exit(0);
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

if (cluster.isPrimary) {
  const config = readConfigurationOrExit(() => loadConfig(process.env));
  if (config.api.processes > 1) {
    // Pricing is checked here too, so a bad file is one line from the primary rather than one per process.
    readConfigurationOrExit(() => loadPricing());
    runApiCluster(config, createLogger('refill-api', config.logLevel));
  } else {
    await serve();
  }
} else {
  await serve();
}
