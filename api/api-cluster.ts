// API_PROCESSES > 1: the primary process of a node:cluster that serves nothing itself. It forks that
// many API processes, which share the one port (the primary hands them connections in turn) and each
// run api/main.ts's serve() with a database pool of their own; the API keeps no state between
// requests, so any process may answer any request. Each process counts rate limits and caches API key
// lookups on its own (a revocation reaches every one of them, see api/api-key-cache.ts).
import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config/config.ts';
import type { Logger } from '../observability/logger.ts';

/** A process that exits on its own is replaced, unless this many exit within the window: then all stop. */
const maximumUnexpectedExits = 5;
const unexpectedExitWindowMilliseconds = 60_000;
/** How long the processes get to finish their requests on SIGINT/SIGTERM before they are killed. */
const shutdownTimeoutMilliseconds = 15_000;

/** Forks the API processes and supervises them until SIGINT or SIGTERM, which stops them all. */
export function runApiCluster(config: Config, logger: Logger): void {
  // Every process must accept the sandbox's webhooks signed with one secret: when none is configured,
  // the primary's random one is handed to all of them.
  const environment = { STRIPE_WEBHOOK_SECRET: config.stripe.webhookSecret };
  const workers = new Set<Worker>();
  const exitTimes: number[] = [];
  let stopping = false;
  let finalExitCode = 0;

  const fork = () => {
    const worker = cluster.fork(environment);
    workers.add(worker);
  };
  cluster.on('exit', (worker, code, signal) => {
    workers.delete(worker);
    if (stopping) {
      if (workers.size === 0) process.exit(finalExitCode);
      return;
    }
    const now = Date.now();
    exitTimes.push(now);
    while (exitTimes.length > 0 && exitTimes[0]! < now - unexpectedExitWindowMilliseconds) exitTimes.shift();
    if (exitTimes.length >= maximumUnexpectedExits) {
      logger.error({ pid: worker.process.pid, code, signal }, `API processes keep exiting (${exitTimes.length} within a minute): stopping`);
      stop(1);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'an API process exited; starting another');
    fork();
  });

  const stop = (exitCode: number) => {
    stopping = true;
    finalExitCode = exitCode;
    if (workers.size === 0) process.exit(exitCode);
    for (const worker of workers) worker.process.kill('SIGTERM');
    const forced = setTimeout(() => {
      for (const worker of workers) worker.process.kill('SIGKILL');
      process.exit(1);
    }, shutdownTimeoutMilliseconds);
    forced.unref();
  };
  const onSignal = (signal: string) => {
    if (stopping) return;
    logger.info({ signal, processes: workers.size }, 'API stopping');
    stop(0);
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));

  logger.info({ processes: config.api.processes, port: config.api.port }, 'API starting its processes');
  for (let index = 0; index < config.api.processes; index += 1) fork();
}
