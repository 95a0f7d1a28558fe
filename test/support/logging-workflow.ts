// A workflow that only logs, once at each level and once through an activity, for the test that follows
// workflow and SDK lines into the JSON log stream. Bundled by that test alone.
import { log, proxyActivities } from '@temporalio/workflow';

export interface LoggingActivities {
  logFromActivity(text: string): Promise<void>;
}

const { logFromActivity } = proxyActivities<LoggingActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
});

/** Logs `text` at every level (with a field of its own and a key that must be redacted), then from an activity. */
export async function loggingWorkflow(text: string): Promise<void> {
  log.trace(`${text} at trace`, { step: 'trace' });
  log.debug(`${text} at debug`, { step: 'debug' });
  log.info(`${text} at info`, { step: 'info', apiKey: 'rfk_must_not_appear' });
  log.warn(`${text} at warn`, { step: 'warn' });
  log.error(`${text} at error`, { step: 'error' });
  await logFromActivity(text);
}
