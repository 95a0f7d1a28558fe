// The harness for tests of the order workflows themselves: a Temporal test environment from
// @temporalio/testing, a fresh database, and a worker running the real workflows and activities on a
// task queue of its own. Either the suite's shared dev server (scripts/test.ts started it), in real time
// and with the search attributes registered, or the time-skipping test server, whose clock a test moves
// with environment.sleep().
import type { Client } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../../activities/index.ts';
import type { PaymentProvider } from '../../activities/payments/provider.ts';
import { createSandboxProvider } from '../../activities/payments/sandbox-provider.ts';
import { temporalTestServerPath } from '../../dev/tools.ts';
import { defaultPaperworkTaskQueue } from '../../domain/orders.ts';
import { refillSearchAttributeKeys } from '../../domain/search-attributes.ts';
import { randomToken } from '../../ids/ids.ts';
import { createLogger, type Logger } from '../../observability/logger.ts';
import { ensureSearchAttributes } from '../../worker/search-attributes.ts';
import { installTemporalRuntime } from '../../worker/temporal-runtime.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { testTemporalAddress } from './environment.ts';
import { testInvoiceDependencies } from './invoices.ts';
import { workflowBundle } from './pipeline.ts';

const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
/** The operator API's name for each type the order workflows' search attributes use. */
const indexedValueTypes: Partial<Record<SearchAttributeType, proto.temporal.api.enums.v1.IndexedValueType>> = {
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

export interface WorkflowEnvironmentOptions {
  /**
   * 'local': the suite's dev server, in real time, with the search attributes registered as the worker registers them.
   * 'time-skipping': the test server, whose clock jumps to the next timer whenever the test waits on a workflow.
   */
  server: 'local' | 'time-skipping';
  /** Names the worker's task queue (with a random suffix) and the logger's service (with `-test`). */
  name: string;
  /** Where the activities' mail goes; by default it is composed and delivered nowhere. */
  mail?: Pick<ActivityDependencies, 'mailTransport' | 'invoices'>;
  /** Wraps the sandbox provider (a test's provider that fails, or answers late). */
  wrapProvider?: (provider: PaymentProvider) => PaymentProvider;
}

export interface WorkflowEnvironment {
  environment: TestWorkflowEnvironment;
  client: Client;
  database: TestDatabase;
  taskQueue: string;
  logger: Logger;
  /** Stops the worker, the Temporal environment and the database, in that order. */
  close(): Promise<void>;
}

/** Starts the environment and its worker; payments go through the sandbox provider, whose sessions a test can pay in Postgres. */
export async function startWorkflowEnvironment(options: WorkflowEnvironmentOptions): Promise<WorkflowEnvironment> {
  const logger = createLogger(`${options.name}-test`, process.env.REFILL_TEST_LOG_LEVEL ?? 'silent');
  // Before the environment's first connection, as the worker process does, so that the SDK's and the
  // workflows' lines join the JSON stream (a no-op when this process installed it already).
  installTemporalRuntime(logger);
  const database = await createTestDatabase();
  const environment = await createTemporalEnvironment(options.server, logger);
  const taskQueue = `${options.name}-${randomToken(8)}`;
  const activities = createActivities({
    sql: database.sql,
    paymentProvider: (options.wrapProvider ?? ((provider) => provider))(createSandboxProvider(database.sql, 'http://refill.test')),
    logger,
    ...(options.mail ?? testInvoiceDependencies()),
  });
  const worker = await Worker.create({ connection: environment.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
  // The paperwork worker, as the worker process runs it: orders started here name no paperwork task queue,
  // so theirs is the one derived from this task queue.
  const paperworkWorker = await Worker.create({ connection: environment.nativeConnection, taskQueue: defaultPaperworkTaskQueue(taskQueue), activities });
  const running = Promise.all([worker.run(), paperworkWorker.run()]);
  return {
    environment,
    client: environment.client,
    database,
    taskQueue,
    logger,
    close: async () => {
      worker.shutdown();
      paperworkWorker.shutdown();
      await running;
      await environment.teardown();
      await database.close();
    },
  };
}

async function createTemporalEnvironment(server: WorkflowEnvironmentOptions['server'], logger: Logger): Promise<TestWorkflowEnvironment> {
  if (server === 'local') {
    // The dev server every file shares, rather than one more of it started (and stopped) for this file alone.
    const environment = await TestWorkflowEnvironment.createFromExistingServer({ address: testTemporalAddress() });
    await ensureSearchAttributes(environment.connection, environment.namespace ?? 'default', logger);
    return environment;
  }
  const environment = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath(process.env) } },
  });
  // The test server cannot list search attributes (so worker/search-attributes.ts cannot run) but adds them.
  await environment.connection.operatorService.addSearchAttributes({
    namespace: environment.namespace ?? 'default',
    searchAttributes: Object.fromEntries(refillSearchAttributeKeys.map((key) => [key.name, indexedValueTypes[key.type]!])),
  });
  return environment;
}
