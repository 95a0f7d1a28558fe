// Runs the real Express app on a free port against a test database, with a small JSON client, and the
// account helpers tests call through it.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { startApiKeyCache, type ApiKeyCache } from '../../api/api-key-cache.ts';
import { createApp, createHttpServer } from '../../api/app.ts';
import { createRefillClient, type RefillClient } from '../../client/index.ts';
import { loadConfig, type Config } from '../../config/config.ts';
import { loadPricing } from '../../config/pricing.ts';
import type { Sql } from '../../db/client.ts';
import { LedgerBatcher } from '../../db/ledger/ledger-batcher.ts';
import { createLogger } from '../../observability/logger.ts';
import { ledgerBatcherMetrics } from '../../observability/metrics.ts';
import { checkAgainstContract } from './contract.ts';
import { testTemporalAddress } from './environment.ts';
import { testAdminTokensVariable } from './operators.ts';

export const testAdminToken = 'test-admin-token-0123456789';

export interface TestApi {
  baseUrl: string;
  config: Config;
  temporalClient: Client;
  /** The API key lookups this API keeps, as each API process keeps its own. */
  apiKeyCache: ApiKeyCache;
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  /** The typed client (client/), for a customer API key or the admin token; its answers are checked against the contract too. */
  client(token?: string): RefillClient;
  close(): Promise<void>;
}

export interface RequestOptions {
  /** A customer API key or the admin token. */
  token?: string;
  body?: unknown;
  /** Sent as-is instead of JSON.stringify(body). */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  idempotencyKey?: string;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  // The body is whatever JSON the route returned; tests assert its shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

export interface StartTestApiOptions {
  sql: Sql;
  databaseUrl: string;
  taskQueue?: string;
  temporalAddress?: string;
  environment?: Record<string, string>;
  /** The batcher the API posts consumptions through; by default, a new one on `sql`. */
  ledgerBatcher?: LedgerBatcher;
}

export async function startTestApi(options: StartTestApiOptions): Promise<TestApi> {
  const config = loadConfig({
    DATABASE_URL: options.databaseUrl,
    TEMPORAL_ADDRESS: options.temporalAddress ?? testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: options.taskQueue ?? 'refill-test',
    ADMIN_TOKEN: testAdminToken,
    ADMIN_TOKENS: testAdminTokensVariable,
    LOG_LEVEL: process.env.REFILL_TEST_LOG_LEVEL ?? 'silent',
    // A test's client may sit on an idle connection while its event loop is busy (parsing a PDF, say), past
    // the timer that would have dropped it; with the production default of 5 s the server can close that
    // connection just as it is reused (ECONNRESET). Tests of the timeout itself set it.
    HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: '120',
    ...options.environment,
  });
  // Lazy, so a test can point the API at a Temporal server that is down.
  const temporalConnection = Connection.lazy({ address: config.temporal.address });
  const temporalClient = new Client({ connection: temporalConnection, namespace: config.temporal.namespace });
  const logger = createLogger('refill-api-test', config.logLevel);
  // Counted in the process's metrics, as the API process's batcher is (observability/metrics.ts).
  const ledgerBatcher = options.ledgerBatcher ?? new LedgerBatcher(options.sql, { observer: ledgerBatcherMetrics });
  const keyCache = await startApiKeyCache(config, logger);
  const app = createApp({ config, sql: options.sql, ledgerBatcher, temporalConnection, temporalClient, logger, pricing: loadPricing(), apiKeyCache: keyCache.cache });
  const server: Server = await new Promise((resolve) => {
    const listening = createHttpServer(app, config.http.timeouts, logger).listen(0, '127.0.0.1', () => resolve(listening));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  config.api.publicBaseUrl = baseUrl;

  async function request(method: string, path: string, requestOptions: RequestOptions = {}): Promise<TestResponse> {
    const headers: Record<string, string> = { ...requestOptions.headers };
    if (requestOptions.token !== undefined) headers.authorization = `Bearer ${requestOptions.token}`;
    if (requestOptions.idempotencyKey !== undefined) headers['idempotency-key'] = requestOptions.idempotencyKey;
    let body: string | Buffer | undefined = requestOptions.rawBody;
    if (body === undefined && requestOptions.body !== undefined) body = JSON.stringify(requestOptions.body);
    if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    // Every answer a test receives is held to the API contract (GET /openapi.json).
    checkAgainstContract({ method, path, status: response.status, headers: response.headers, text });
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  return {
    baseUrl,
    config,
    temporalClient,
    apiKeyCache: keyCache.cache,
    request,
    client: (token) => createRefillClient({ baseUrl, ...(token === undefined ? {} : { token }), fetch: contractCheckedFetch }),
    close: async () => {
      await keyCache.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await ledgerBatcher.close();
      await temporalConnection.close();
    },
  };
}

/** fetch for the typed client: every answer is held to the contract before the client reads it. */
async function contractCheckedFetch(request: Request): Promise<Response> {
  const response = await fetch(request);
  const url = new URL(request.url);
  checkAgainstContract({ method: request.method, path: `${url.pathname}${url.search}`, status: response.status, headers: response.headers, text: await response.clone().text() });
  return response;
}

let uniqueCounter = 0;
/** A name no other call in this test process returns (`label-pid-n`): for Idempotency-Keys, addresses, codes. */
export function uniqueKey(label: string): string {
  uniqueCounter += 1;
  return `${label}-${process.pid}-${uniqueCounter}`;
}

/** Creates an account through the admin API and returns its id and key. */
export async function createTestAccount(api: TestApi, currency = 'USD', email = 'customer@example.com') {
  const { data, error, response } = await api.client(testAdminToken).POST('/admin/accounts', { body: { email, currency } });
  if (data === undefined) throw new Error(`account creation failed: ${response.status} ${JSON.stringify(error)}`);
  return { accountId: data.account_id, apiKey: data.api_key };
}

/** An account with an address of its own (`label-pid-n@example.com`), so a test finds its mail in a shared inbox. */
export async function createTestCustomer(api: TestApi, currency: string, label: string) {
  const email = `${uniqueKey(label)}@example.com`;
  return { email, ...(await createTestAccount(api, currency, email)) };
}

/** The account's balance as the API shows it (a six-decimal string). */
export async function balanceOf(api: TestApi, apiKey: string): Promise<string> {
  const { data, error, response } = await api.client(apiKey).GET('/v1/balance');
  if (data === undefined) throw new Error(`balance failed: ${response.status} ${JSON.stringify(error)}`);
  return data.balance;
}
