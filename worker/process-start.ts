// What the worker and the paperwork process do alike at start, before their workers run: the Temporal
// runtime with the process's logger and, given a port, a metrics server with the SDK's metrics; stop
// signals that end the process at once while nothing is in flight yet; and the workers' options that
// come from the configuration.
import type { NativeConnection } from '@temporalio/worker';
import type { MailTransport } from '../activities/invoices.ts';
import type { Config } from '../config/config.ts';
import type { Sql } from '../db/client.ts';
import type { Logger } from '../observability/logger.ts';
import type { CreateRefillWorkerOptions } from './create-worker.ts';
import { invoiceSettings } from './invoice-settings.ts';
import { freeLoopbackPort, startWorkerMetricsServer } from './metrics-server.ts';
import { createPaymentProvider } from './payment-provider.ts';
import { installTemporalRuntime } from './temporal-runtime.ts';

/**
 * Installs the Temporal runtime (first, before any NativeConnection: the SDK's and the workflows' lines
 * join this process's JSON stream) and, with a metrics port, exports the SDK's metrics on a loopback port
 * that the process's metrics server reads and serves beside its own. Resolves with that server, or null.
 */
export async function installRuntimeAndMetrics(logger: Logger, metricsPort: number | null) {
  const sdkMetricsPort = metricsPort === null ? null : await freeLoopbackPort();
  installTemporalRuntime(logger, sdkMetricsPort === null ? {} : { prometheusBindAddress: `127.0.0.1:${sdkMetricsPort}` });
  if (metricsPort === null) return null;
  return startWorkerMetricsServer({ port: metricsPort, sdkMetricsUrl: `http://127.0.0.1:${sdkMetricsPort}/metrics`, logger });
}

/**
 * Until the process's workers run, a stop signal has nothing to wait for (no task is in flight): it ends
 * the process at once instead of letting it go on starting a worker nobody wants. Call the returned
 * function once they run; from then on the SDK's own shutdown answers the signals.
 */
export function exitOnStopSignalsUntilRunning(logger: Logger, stoppedMessage: string): () => void {
  let running = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (running) return;
      logger.info({ signal }, stoppedMessage);
      process.exit(0);
    });
  }
  return () => void (running = true);
}

/** The options both processes build their workers with: the queues, the provider and the invoices, from the configuration. */
export function workerOptionsFromConfig(
  config: Config,
  resources: { connection: NativeConnection; sql: Sql; logger: Logger; mailTransport: MailTransport },
): CreateRefillWorkerOptions {
  return {
    ...resources,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    paperworkTaskQueue: config.temporal.paperworkTaskQueue,
    paymentProvider: createPaymentProvider(config, resources.sql),
    invoices: invoiceSettings(config),
  };
}
