// The worker's GET /metrics on WORKER_METRICS_PORT: this process's own metrics (observability/metrics.ts:
// order transitions, payment-to-credit latency, invoice email failures, Node's) followed by the Temporal
// SDK's worker metrics (task slots, poll and schedule-to-start latencies, cache, …), which the SDK's Core
// exports on a loopback port of its own (Runtime telemetry, worker/temporal-runtime.ts). One scrape target.
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import { metricsText } from '../observability/metrics.ts';
import type { Logger } from '../observability/logger.ts';

/** The SDK's exporter answers from memory; a scrape does not wait longer for it. */
const sdkScrapeTimeoutMilliseconds = 2_000;

/** A loopback port free now, for the SDK's exporter, which only this server reads. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** The SDK's metrics text, or a comment saying why there is none this time. */
async function sdkMetrics(sdkMetricsUrl: string | null): Promise<string> {
  if (sdkMetricsUrl === null) return '# The Temporal SDK\'s metrics are not exported in this process.\n';
  try {
    const response = await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(sdkScrapeTimeoutMilliseconds) });
    if (!response.ok) return `# The Temporal SDK's exporter answered ${response.status}.\n`;
    return await response.text();
  } catch (error) {
    return `# The Temporal SDK's exporter did not answer: ${error instanceof Error ? error.message.replace(/\s+/g, ' ') : 'unknown error'}\n`;
  }
}

export interface WorkerMetricsServerOptions {
  port: number;
  /** Where the SDK's Core exports its metrics (http://127.0.0.1:<port>/metrics), or null. */
  sdkMetricsUrl: string | null;
  logger: Logger;
}

/** Starts the server; resolves once it listens. */
export async function startWorkerMetricsServer(options: WorkerMetricsServerOptions): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics is served here.\n');
      return;
    }
    void Promise.all([metricsText(), sdkMetrics(options.sdkMetricsUrl)]).then(
      ([own, sdk]) => response.writeHead(200, { 'content-type': own.contentType }).end(`${own.text}\n${sdk}`),
      (error: unknown) => {
        options.logger.error({ err: error }, 'metrics scrape failed');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('The metrics could not be read; see the worker\'s log.\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, () => resolve());
  });
  options.logger.info({ port: options.port }, 'worker metrics listening');
  return server;
}
