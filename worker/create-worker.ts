// Builds the Temporal worker: the order workflows plus the activities wired to their dependencies.
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
  /** A prebuilt workflow bundle (tests build it once); otherwise the worker bundles workflowsPath. */
  workflowBundle?: WorkerOptions['workflowBundle'];
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
  });
}
