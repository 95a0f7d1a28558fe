// The no-op order of `npm run bench:pipeline`: the same shape as a Refill order seen from Temporal (an
// update-with-start that returns once the workflow runs, one signal, one trivial activity), doing
// nothing else, so the bench can put Refill's figures beside what the engine itself costs.
import { condition, defineSignal, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { NoopActivities } from './activities.ts';

export const openNoopUpdate = defineUpdate<string>('openNoop');
/** Carries the time the bench sent it, so the workflow can report signal → activity-done. */
export const payNoopSignal = defineSignal<[number]>('payNoop');

const { markDone } = proxyActivities<NoopActivities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 } });

export interface NoopResult {
  signalSentAtMilliseconds: number;
  activityDoneAtMilliseconds: number;
}

export async function noopOrder(): Promise<NoopResult> {
  let signalSentAtMilliseconds: number | null = null;
  setHandler(openNoopUpdate, () => 'open');
  setHandler(payNoopSignal, (sentAt) => void (signalSentAtMilliseconds = sentAt));
  await condition(() => signalSentAtMilliseconds !== null);
  const activityDoneAtMilliseconds = await markDone();
  return { signalSentAtMilliseconds: signalSentAtMilliseconds!, activityDoneAtMilliseconds };
}
