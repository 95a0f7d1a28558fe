// The Temporal runtime of a worker process, installed with the process's logger: without it the SDK's
// lines (and those of workflow code's `log`) go to stderr as plain text, outside the JSON stream.
import { IllegalStateError, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import type { Logger } from '../observability/logger.ts';
import { temporalLoggerFor } from '../observability/temporal-logger.ts';

/**
 * Core's own lines from WARN up: below that it reports every poll and activation, far more than a
 * production stream should carry. The third-party crates under it (gRPC, HTTP) keep the SDK's default,
 * ERROR; raise `other` here if a connection problem ever needs their detail.
 */
const coreLogFilter = makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' });

let installed = false;

/**
 * Installs the Temporal runtime with `logger`, Core's lines forwarded to it. Call it before the first
 * NativeConnection or Worker, which would otherwise create a runtime with the SDK's default logger.
 * The runtime is one per process: the first call's logger stays for the life of the process, and
 * later calls (another test pipeline in the same process) do nothing. With `prometheusBindAddress` Core
 * exports the SDK's metrics there.
 */
export function installTemporalRuntime(logger: Logger, options: { prometheusBindAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  // The SDK's worker metrics (slots, polls, latencies), in seconds, for worker/metrics-server.ts to serve.
  const metrics = options.prometheusBindAddress === undefined ? {} : { metrics: { prometheus: { bindAddress: options.prometheusBindAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } } };
  try {
    Runtime.install({
      logger: temporalLoggerFor(logger),
      telemetryOptions: { logging: { filter: coreLogFilter, forward: {} }, ...metrics },
    });
  } catch (error) {
    if (!(error instanceof IllegalStateError)) throw error;
    // Something made the runtime first (a TestWorkflowEnvironment, say); its lines keep going where they went.
    logger.warn({ sdkComponent: 'worker' }, 'the Temporal runtime existed before its logger was installed; SDK logs stay on stderr');
  }
}
