// The worker process: validates config, waits for PostgreSQL and Temporal, migrates the database,
// registers search attributes, runs workflows (from the prebuilt bundle when WORKFLOW_BUNDLE_PATH names one),
// and the paperwork worker beside them unless WORKER_PAPERWORK=separate (worker/paperwork-main.ts).
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { readConfigurationOrExit, startProcessFoundation, waitForDependencyOrExit } from '../config/startup.ts';
import { closeSql } from '../db/client.ts';
import { startHoldSweeper } from '../db/holds/hold-sweeper.ts';
import { LedgerBatcher } from '../db/ledger/ledger-batcher.ts';
import { createRefillWorker, prebuiltWorkflowBundle } from './create-worker.ts';
import { createMailTransport } from './mail-transport.ts';
import { createSavedCardProvider } from '../activities/payments/create-saved-cards.ts';
import { loadPricing } from '../config/pricing.ts';
import { ensureReconciliationSchedule } from './reconciliation-schedule.ts';
import { ensureDailyReconciliationSchedule } from './daily-reconciliation-schedule.ts';
import { ensureSearchAttributes } from './search-attributes.ts';
import { startWebhookDispatcher, webhookDispatcherSettings } from './webhooks/dispatcher.ts';
import { exitOnStopSignalsUntilRunning, installRuntimeAndMetrics, workerOptionsFromConfig } from './process-start.ts';
import { ledgerBatcherMetrics, watchLedgerQueue } from '../observability/metrics.ts';

// The first statement runs once every import is loaded (and, under tsx, compiled): the start-up's
// fixed cost, reported with the running line.
const modulesLoadedMilliseconds = Math.round(performance.now());

/** Each try to reach Temporal at start gives up after this; waitForDependencyOrExit tries again. */
const temporalConnectTimeout = '5 seconds';

const { config, logger, sql } = await startProcessFoundation('refill-worker');
const workflowBundlePath = prebuiltWorkflowBundle(config.temporal.workflowBundlePath, config.environment === 'production');
// With WORKER_METRICS_PORT, its metrics and the SDK's (worker/process-start.ts).
const metricsServer = await installRuntimeAndMetrics(logger, config.workerMetrics.port);
const markWorkerRunning = exitOnStopSignalsUntilRunning(logger, 'worker stopped before it started');

const temporal = { description: `Temporal at ${config.temporal.address}`, timeoutSeconds: config.startup.timeoutSeconds, logger };
const operatorConnection = await waitForDependencyOrExit(
  () => Connection.connect({ address: config.temporal.address, connectTimeout: temporalConnectTimeout }),
  temporal,
);
await ensureSearchAttributes(operatorConnection, config.temporal.namespace, logger);
await operatorConnection.close();

const connection = await waitForDependencyOrExit(() => NativeConnection.connect({ address: config.temporal.address }), temporal);
// The reconciliation schedule, created or brought to this configuration (README "Reconciliation").
await ensureReconciliationSchedule({
  client: new Client({ connection, namespace: config.temporal.namespace }),
  taskQueue: config.temporal.taskQueue,
  config: config.reconciliation,
  logger,
});
// The daily reconciliation schedule, likewise (README "Reconciliation").
await ensureDailyReconciliationSchedule({
  client: new Client({ connection, namespace: config.temporal.namespace }),
  taskQueue: config.temporal.taskQueue,
  config: config.reconciliation,
  logger,
});
const mailTransport = createMailTransport(config.mail);
const worker = await createRefillWorker({
  ...workerOptionsFromConfig(config, { connection, sql, logger, mailTransport }),
  ...(workflowBundlePath === undefined ? {} : { workflowBundle: { codePath: workflowBundlePath } }),
  savedCards: createSavedCardProvider(config, sql),
  pricing: readConfigurationOrExit(() => loadPricing()),
  paperwork: config.worker.paperwork,
});
logger.info(
  {
    taskQueue: config.temporal.taskQueue,
    paperworkTaskQueue: config.temporal.paperworkTaskQueue,
    paperwork: config.worker.paperwork,
    namespace: config.temporal.namespace,
    paymentProvider: config.stripe.mode,
    workflowBundle: workflowBundlePath ?? 'bundled at start',
    modulesLoadedMilliseconds,
    startupMilliseconds: Math.round(performance.now()),
  },
  'worker running',
);
// Releases expired holds, as the API does: either process alone keeps expiry within seconds.
const holdLedger = new LedgerBatcher(sql, { batchesInFlight: 1, observer: ledgerBatcherMetrics });
watchLedgerQueue(() => holdLedger.queueDepth());
const holdSweeper = startHoldSweeper(sql, holdLedger, logger);
// Delivers the outbox's webhook events and low-balance emails (worker/webhooks/dispatcher.ts).
const webhookDispatcher = startWebhookDispatcher({ sql, logger, mailTransport, settings: webhookDispatcherSettings(config) });
// worker.run() resolves after SIGINT/SIGTERM (the SDK's default shutdown signals, which stop both workers)
// once the in-flight tasks of both have finished.
markWorkerRunning();
await worker.run();
await holdSweeper.stop();
await webhookDispatcher.stop();
await holdLedger.close();
mailTransport.close();
await connection.close();
await closeSql(sql);
metricsServer?.close();
logger.info('worker stopped');
