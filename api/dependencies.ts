// What the API's routes are given: built once in api/main.ts (or by a test) and passed down.
import type { Client, Connection } from '@temporalio/client';
import type { Config } from '../config/config.ts';
import type { Sql } from '../db/client.ts';
import type { LedgerBatcher } from '../db/ledger/ledger-batcher.ts';
import type { Pricing } from '../domain/pricing.ts';
import type { ApiKeyCache } from './api-key-cache.ts';
import type { Logger } from '../observability/logger.ts';
import type { Readiness } from './readiness.ts';

export interface ApiDependencies {
  config: Config;
  sql: Sql;
  /** Posts consumptions in batches that share a commit; closed after the HTTP server. */
  ledgerBatcher: LedgerBatcher;
  temporalConnection: Connection;
  temporalClient: Client;
  logger: Logger;
  pricing: Pricing;
  /** The process's API key lookups (api/api-key-cache.ts); without it every request queries. */
  apiKeyCache?: ApiKeyCache;
  /** Whether an order can be created now; createApp builds it from temporalConnection when not given. */
  readiness?: Readiness;
}
