// The reconciliation schedule (README "Reconciliation"): a Temporal Schedule, visible in the Temporal UI,
// that starts reconciliationWorkflow every RECONCILIATION_INTERVAL_SECONDS. The worker owns it: each start
// creates it, or brings an existing one to the configuration it starts with, so restarts and several
// workers leave exactly one schedule per task queue.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptionsAction } from '@temporalio/client';
import type { ReconciliationConfig } from '../config/config.ts';
import { reconciliationBatchSize, reconciliationScheduleId, type ReconciliationInput } from '../domain/reconciliation.ts';
import type { Logger } from '../observability/logger.ts';

export interface ReconciliationScheduleOptions {
  client: Client;
  taskQueue: string;
  config: ReconciliationConfig;
  logger: Logger;
}

/** A run still going when the next is due: the next is skipped, so runs never pile up. */
const overlap = ScheduleOverlapPolicy.SKIP;

function scheduleAction(options: ReconciliationScheduleOptions): ScheduleOptionsAction {
  const input: ReconciliationInput = {
    pendingAgeSeconds: options.config.pendingAge_seconds,
    processingAgeSeconds: options.config.processingAge_seconds,
    limit: reconciliationBatchSize,
  };
  return {
    type: 'startWorkflow',
    workflowType: 'reconciliationWorkflow',
    workflowId: reconciliationScheduleId(options.taskQueue),
    taskQueue: options.taskQueue,
    args: [input],
    // A run lists at most reconciliationBatchSize orders with two 30 s activities each at worst.
    workflowExecutionTimeout: '1 hour',
  };
}

/** Creates the schedule, or updates the one there to this configuration; resolves with its id. */
export async function ensureReconciliationSchedule(options: ReconciliationScheduleOptions): Promise<string> {
  const scheduleId = reconciliationScheduleId(options.taskQueue);
  const spec = { intervals: [{ every: `${options.config.interval_seconds} seconds` as const }] };
  const action = scheduleAction(options);
  try {
    await options.client.schedule.create({ scheduleId, spec, action, policies: { overlap } });
    options.logger.info({ scheduleId, intervalSeconds: options.config.interval_seconds }, 'reconciliation schedule created');
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await options.client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, overlap } }));
    options.logger.info({ scheduleId, intervalSeconds: options.config.interval_seconds }, 'reconciliation schedule brought up to date');
  }
  return scheduleId;
}
