// The paperwork process: the paperwork worker alone (receipt links, invoices, their emails, on
// TEMPORAL_PAPERWORK_TASK_QUEUE), for a worker process started with WORKER_PAPERWORK=separate, as
// `npm start` runs them. It lowers its own CPU priority first, so that on a busy machine rendering PDFs
// takes only CPU time the credit path (the API, the order worker, Temporal, PostgreSQL) leaves over: an
// invoice may wait, a credit does not. Runs no workflows, so it loads no workflow bundle.
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { NativeConnection } from '@temporalio/worker';
import { startProcessFoundation, waitForDependencyOrExit } from '../config/startup.ts';
import { closeSql } from '../db/client.ts';
import { createPaperworkWorker } from './create-worker.ts';
import { createMailTransport } from './mail-transport.ts';
import { exitOnStopSignalsUntilRunning, installRuntimeAndMetrics, workerOptionsFromConfig } from './process-start.ts';

/** The paperwork's niceness: a lower priority than the rest of the pipeline (0), a higher one than batch jobs (19). */
const paperworkNiceness = 10;

/**
 * Lowers the priority of every thread the process has, first thing: on Linux a niceness belongs to a
 * thread, and V8's and libuv's threads already run; threads started later (the Temporal runtime's)
 * inherit it. Returns the error when it cannot, for the log once there is one.
 */
function lowerProcessPriority(niceness: number): unknown {
  const threads = existsSync('/proc/self/task') ? readdirSync('/proc/self/task').map(Number) : [0];
  for (const thread of threads) {
    try {
      os.setPriority(thread, Math.max(os.getPriority(thread), niceness));
    } catch (error) {
      // A helper thread may have ended meanwhile; the main thread's failure is the one that matters.
      if (thread === 0 || thread === process.pid) return error;
    }
  }
  return null;
}

const modulesLoadedMilliseconds = Math.round(performance.now());
const priorityError = lowerProcessPriority(paperworkNiceness);
const { config, logger, sql } = await startProcessFoundation('refill-paperwork');
// A container without the right to change priorities still does the work, only without the preference.
if (priorityError !== null) logger.warn({ err: priorityError }, 'could not lower the paperwork process priority');
// With PAPERWORK_METRICS_PORT, its metrics (invoice email failures, the SDK's slots) as the worker serves its own.
const metricsServer = await installRuntimeAndMetrics(logger, config.worker.paperworkMetricsPort);
const markWorkerRunning = exitOnStopSignalsUntilRunning(logger, 'paperwork worker stopped before it started');

const temporal = { description: `Temporal at ${config.temporal.address}`, timeoutSeconds: config.startup.timeoutSeconds, logger };
const connection = await waitForDependencyOrExit(() => NativeConnection.connect({ address: config.temporal.address }), temporal);
const mailTransport = createMailTransport(config.mail);
const worker = await createPaperworkWorker(workerOptionsFromConfig(config, { connection, sql, logger, mailTransport }));
logger.info(
  {
    paperworkTaskQueue: config.temporal.paperworkTaskQueue,
    namespace: config.temporal.namespace,
    niceness: os.getPriority(),
    modulesLoadedMilliseconds,
    startupMilliseconds: Math.round(performance.now()),
  },
  'paperwork worker running',
);
// worker.run() resolves after SIGINT/SIGTERM (the SDK's default shutdown signals) once its tasks finished.
markWorkerRunning();
await worker.run();
mailTransport.close();
await connection.close();
await closeSql(sql);
metricsServer?.close();
logger.info('paperwork worker stopped');
