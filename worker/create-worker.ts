// Builds the Temporal worker: the order workflows plus the activities wired to their dependencies.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import type { InvoiceSettings, MailTransport } from '../activities/invoices.ts';
import type { PaymentProvider } from '../activities/payments/provider.ts';
import type { Sql } from '../db/client.ts';
import type { Logger } from '../observability/logger.ts';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface CreateRefillWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  sql: Sql;
  paymentProvider: PaymentProvider;
  logger: Logger;
  mailTransport: MailTransport;
  invoices: InvoiceSettings;
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

export async function createRefillWorker(options: CreateRefillWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle === undefined ? { workflowsPath } : { workflowBundle: options.workflowBundle }),
    activities: createActivities({
      sql: options.sql,
      paymentProvider: options.paymentProvider,
      logger: options.logger,
      mailTransport: options.mailTransport,
      invoices: options.invoices,
    }),
    // Bounded concurrency: each activity holds at most one database connection.
    maxConcurrentActivityTaskExecutions: 20,
    stickyQueueScheduleToStartTimeout,
  });
}
