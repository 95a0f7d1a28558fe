// The worker process: validates config, migrates the database, registers search attributes, runs workflows.
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startProcessFoundation } from '../config/startup.ts';
import { closeSql } from '../db/client.ts';
import { createRefillWorker } from './create-worker.ts';
import { invoiceSettings } from './invoice-settings.ts';
import { createMailTransport } from './mail-transport.ts';
import { createPaymentProvider } from './payment-provider.ts';
import { ensureSearchAttributes } from './search-attributes.ts';
import { installTemporalRuntime } from './temporal-runtime.ts';

const { config, logger, sql } = await startProcessFoundation('refill-worker');
// First, before any NativeConnection: the SDK's and the workflows' lines join this process's JSON stream.
installTemporalRuntime(logger);

const operatorConnection = await Connection.connect({ address: config.temporal.address });
await ensureSearchAttributes(operatorConnection, config.temporal.namespace, logger);
await operatorConnection.close();

const connection = await NativeConnection.connect({ address: config.temporal.address });
const mailTransport = createMailTransport(config.mail);
const worker = await createRefillWorker({
  connection,
  namespace: config.temporal.namespace,
  taskQueue: config.temporal.taskQueue,
  sql,
  paymentProvider: createPaymentProvider(config, sql),
  logger,
  mailTransport,
  invoices: invoiceSettings(config),
});
logger.info(
  { taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace, paymentProvider: config.stripe.mode },
  'worker running',
);
// worker.run() resolves after SIGINT/SIGTERM (the SDK's default shutdown signals) once in-flight tasks finish.
await worker.run();
mailTransport.close();
await connection.close();
await closeSql(sql);
logger.info('worker stopped');
