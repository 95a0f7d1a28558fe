// What an activity knows of its own run: its attempt number, and heartbeats for activities that wait on
// something slow (an SMTP server taking a PDF, a PDF being rendered). While the work runs, the
// activity tells Temporal every few seconds that its worker is alive, so that when the worker dies the
// attempt is retried once the heartbeat timeout passes (10 s, workflows/activity-options.ts) instead
// of after the whole start-to-close timeout.
import { asyncLocalStorage, type Context } from '@temporalio/activity';

/** Well under the 10 s heartbeat timeout: a late heartbeat or two still keeps the attempt alive. */
export const heartbeatIntervalMilliseconds = 2_000;

/** The running activity's context; null when the function is called directly (tests, scripts). */
function activityContext(): Context | null {
  return asyncLocalStorage.getStore() ?? null;
}

/** The attempt of the running activity (1 for the first); 1 when called directly. */
export function currentActivityAttempt(): number {
  return activityContext()?.info.attempt ?? 1;
}

/** Runs `work`, heartbeating from its start until it settles. */
export async function whileHeartbeating<Result>(work: () => Promise<Result>): Promise<Result> {
  const context = activityContext();
  if (context === null) return work();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), heartbeatIntervalMilliseconds);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
