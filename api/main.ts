// The API process: validates config, migrates the database, connects to Temporal, serves HTTP.
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { readConfigurationOrExit, startProcessFoundation } from '../config/startup.ts';
import { loadPricing } from '../config/pricing.ts';
import { closeSql } from '../db/client.ts';
import { LedgerBatcher, maximumBatchesInFlight } from '../db/ledger/ledger-batcher.ts';
import { startHoldSweeper } from '../db/holds/hold-sweeper.ts';
import { createApp, createHttpServer } from './app.ts';

const shutdownTimeoutMilliseconds = 10_000;

const { config, logger, sql } = await startProcessFoundation('refill-api');
const pricing = readConfigurationOrExit(() => loadPricing());
// Leaves connections for the API's other queries (authentication, reads) while batches are posted.
const ledgerBatcher = new LedgerBatcher(sql, { batchesInFlight: Math.max(1, Math.min(maximumBatchesInFlight, config.database.poolSize - 1)) });

// A lazy connection lets the API start (and report not-ready on /readyz) while Temporal is still coming up.
const temporalConnection = Connection.lazy({ address: config.temporal.address });
const temporalClient = new Client({ connection: temporalConnection, namespace: config.temporal.namespace });

// Releases expired holds; the worker runs one too, so either process alone keeps expiry within seconds.
const holdSweeper = startHoldSweeper(sql, ledgerBatcher, logger);

const app = createApp({ config, sql, ledgerBatcher, temporalConnection, temporalClient, logger, pricing });
const server: Server = createHttpServer(app, config.http.timeouts, logger).listen(config.api.port, () => {
  logger.info({ port: config.api.port, publicBaseUrl: config.api.publicBaseUrl }, 'API listening');
});

async function shutdown(signal: string): Promise<void> {
  logger.info({ signal }, 'API stopping');
  const forced = setTimeout(() => process.exit(1), shutdownTimeoutMilliseconds);
  forced.unref();
  await new Promise((resolve) => server.close(resolve));
  await holdSweeper.stop();
  await ledgerBatcher.close();
  await closeSql(sql);
  await temporalConnection.close();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
