// Builds the Temporal workers: the order worker (the order workflows, and the activities of the credit
// path: record, checkout, credit, saves) on TEMPORAL_TASK_QUEUE, and the paperwork worker (receipts,
// invoices, their emails) on TEMPORAL_PAPERWORK_TASK_QUEUE, with slots of its own, so an order's credit
// never waits for a slot behind other orders' paperwork. The paperwork worker runs in the worker process
// (WORKER_PAPERWORK=in-process) or in a process of its own at a lower CPU priority (separate:
// worker/paperwork-main.ts, as `npm start` runs it), where rendering PDFs cannot take CPU time from a
// credit.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import type { InvoiceSettings, MailTransport } from '../activities/invoices.ts';
import type { PaymentProvider } from '../activities/payments/provider.ts';
import type { SavedCardProvider } from '../activities/payments/saved-cards.ts';
import type { Pricing } from '../domain/pricing.ts';
import type { Sql } from '../db/client.ts';
import { defaultPaperworkTaskQueue } from '../domain/orders.ts';
import type { Logger } from '../observability/logger.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface CreateRefillWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** The paperwork task queue; by default the one derived from taskQueue (domain/orders.ts). */
  paperworkTaskQueue?: string;
  sql: Sql;
  paymentProvider: PaymentProvider;
  logger: Logger;
  mailTransport: MailTransport;
  invoices: InvoiceSettings;
  /** Saved cards and pricing, for automatic recharge (activities/auto-recharge.ts). */
  savedCards?: SavedCardProvider;
  pricing?: Pricing;
  /**
   * A prebuilt workflow bundle: built in memory once (tests), or a file from npm run build:workflows
   * ({ codePath }: WORKFLOW_BUNDLE_PATH). Otherwise the worker bundles workflowsPath at start, which
   * costs seconds of webpack on every start.
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/**
 * How long tasks wait on the sticky queue of a worker that stopped polling before they go to any
 * worker. The SDK's 10 s default is what a crashed worker would cost each of its open orders.
 */
const stickyQueueScheduleToStartTimeout = '3 seconds';

/** Where npm run build:workflows writes the bundle (git-ignored). */
export const defaultWorkflowBundlePath = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));

/**
 * The prebuilt bundle's absolute path, or undefined to bundle at start. A path that names no file ends
 * the process with one line: a production worker must not quietly fall back to bundling other code.
 * In production (REFILL_ENV=production) without WORKFLOW_BUNDLE_PATH, the default build output is
 * used when it is there.
 */
export function prebuiltWorkflowBundle(workflowBundlePath: string | undefined, production: boolean): string | undefined {
  if (workflowBundlePath === undefined) return production && existsSync(defaultWorkflowBundlePath) ? defaultWorkflowBundlePath : undefined;
  const absolute = path.resolve(workflowBundlePath);
  if (!existsSync(absolute)) {
    console.error(`Invalid configuration: WORKFLOW_BUNDLE_PATH names no file (${absolute}); build it with npm run build:workflows`);
    process.exit(2);
  }
  return absolute;
}

/**
 * Activity slots of each worker. The order worker's are the credit path's alone (its database steps run
 * as local activities, in slots of their own, maxConcurrentLocalActivityExecutions); the paperwork
 * worker's few bound how much PDF rendering and SMTP work shares the process's CPU with them.
 */
const orderActivitySlots = 20;
const paperworkActivitySlots = 4;

/** Where a worker process runs the paperwork worker (WORKER_PAPERWORK, config/config.ts). */
export type PaperworkPlacement = 'in-process' | 'separate';

/** The process's workers, run and shut down together. */
export interface RefillWorkers {
  order: Worker;
  /** Null when the paperwork runs in a process of its own (worker/paperwork-main.ts). */
  paperwork: Worker | null;
  /** Runs them until they are shut down (SIGINT/SIGTERM, or shutdown()); one failing shuts the other down. */
  run(): Promise<void>;
  shutdown(): void;
}

function activitiesOf(options: CreateRefillWorkerOptions) {
  return createActivities({
    sql: options.sql,
    paymentProvider: options.paymentProvider,
    logger: options.logger,
    mailTransport: options.mailTransport,
    invoices: options.invoices,
    ...(options.savedCards === undefined ? {} : { savedCards: options.savedCards }),
    ...(options.pricing === undefined ? {} : { pricing: options.pricing }),
    // Reconciliation delivers what the provider says through the webhook handling, which signals workflows.
    reconciliation: { temporalClient: new Client({ connection: options.connection, namespace: options.namespace }), taskQueue: options.taskQueue },
  });
}

/** The paperwork worker: activities only (no workflows, so no workflow bundle), few slots. */
export async function createPaperworkWorker(options: CreateRefillWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.paperworkTaskQueue ?? defaultPaperworkTaskQueue(options.taskQueue),
    activities: activitiesOf(options),
    maxConcurrentActivityTaskExecutions: paperworkActivitySlots,
  });
}

/** The order worker, and the paperwork worker beside it unless the paperwork runs in a process of its own. */
export async function createRefillWorker(options: CreateRefillWorkerOptions & { paperwork?: PaperworkPlacement }): Promise<RefillWorkers> {
  const order = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle === undefined ? { workflowsPath } : { workflowBundle: options.workflowBundle }),
    activities: activitiesOf(options),
    // Bounded concurrency: each activity holds at most one database connection.
    maxConcurrentActivityTaskExecutions: orderActivitySlots,
    stickyQueueScheduleToStartTimeout,
  });
  const paperwork = options.paperwork === 'separate' ? null : await createPaperworkWorker(options);
  return runTogether([order, ...(paperwork === null ? [] : [paperwork])], order, paperwork);
}

function runTogether(workers: Worker[], order: Worker, paperwork: Worker | null): RefillWorkers {
  const shutdown = () => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  const runOne = async (worker: Worker) => {
    try {
      await worker.run();
    } finally {
      shutdown();
    }
  };
  return { order, paperwork, shutdown, run: async () => void (await Promise.all(workers.map(runOne))) };
}
