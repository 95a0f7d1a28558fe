// The daily reconciliation schedule (README "Reconciliation"): a second Temporal Schedule, visible in the
// Temporal UI, that starts dailyReconciliationWorkflow once a day at RECONCILIATION_DAILY_TIME (UTC) for
// the UTC day before. The worker owns it: each start creates it, or brings an existing one to the
// configuration it starts with, so restarts and several workers leave exactly one per task queue.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type ScheduleOptionsAction, type ScheduleSpec } from '@temporalio/client';
import { dailyReconciliationScheduleId, type DailyReconciliationInput } from '../domain/daily-reconciliation.ts';
import type { ReconciliationScheduleOptions } from './reconciliation-schedule.ts';

/** A run still going when the next is due (a day later) is left to finish; the next is skipped. */
const overlap = ScheduleOverlapPolicy.SKIP;

function scheduleAction(options: ReconciliationScheduleOptions): ScheduleOptionsAction {
  // No date: each run takes the UTC day before it started.
  const input: DailyReconciliationInput = {};
  return {
    type: 'startWorkflow',
    workflowType: 'dailyReconciliationWorkflow',
    workflowId: dailyReconciliationScheduleId(options.taskQueue),
    taskQueue: options.taskQueue,
    args: [input],
    // Two activities of at most 5 attempts of 30 s each, with their backoff: minutes, not hours.
    workflowExecutionTimeout: '1 hour',
  };
}

function scheduleSpec(options: ReconciliationScheduleOptions): ScheduleSpec {
  const { hour, minute } = options.config.daily;
  return { calendars: [{ hour, minute, comment: 'daily reconciliation of the UTC day before' }], timezone: 'UTC' };
}

/** Creates the daily schedule, or updates the one there to this configuration; resolves with its id. */
export async function ensureDailyReconciliationSchedule(options: ReconciliationScheduleOptions): Promise<string> {
  const scheduleId = dailyReconciliationScheduleId(options.taskQueue);
  const spec = scheduleSpec(options);
  const action = scheduleAction(options);
  const context = { scheduleId, hour: options.config.daily.hour, minute: options.config.daily.minute };
  try {
    await options.client.schedule.create({ scheduleId, spec, action, policies: { overlap } });
    options.logger.info(context, 'daily reconciliation schedule created');
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await options.client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, overlap } }));
    options.logger.info(context, 'daily reconciliation schedule brought up to date');
  }
  return scheduleId;
}
