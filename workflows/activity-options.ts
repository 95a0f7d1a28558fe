// The activity stubs of the order workflows, each with timeouts and a bounded retry policy matched to its
// work. Permanent failures (domain/failures.ts) are never retried; everything else is retried with
// backoff until the attempts run out, and then the workflow records the reason for a person.
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.ts';
import { permanentFailureTypes } from '../domain/failures.ts';

type Duration = NonNullable<ActivityOptions['startToCloseTimeout']>;

/** Stubs whose calls each take at most startToClose, retried from initial doubling to maximum interval. */
function activities(startToCloseTimeout: Duration, initialInterval: Duration, maximumInterval: Duration, maximumAttempts: number) {
  return proxyActivities<OrderActivities>({
    startToCloseTimeout,
    retry: { initialInterval, backoffCoefficient: 2, maximumInterval, maximumAttempts, nonRetryableErrorTypes: [...permanentFailureTypes] },
  });
}

/** Short database transactions: 1 s doubling to 1 minute, 100 attempts, about an hour and a half of outage. */
export const database = activities('30 seconds', '1 second', '1 minute', 100);

/** Provider calls: the Stripe client retries network failures itself; these retries cover outages. */
export const provider = activities('1 minute', '2 seconds', '1 minute', 30);

/** The receipt link is a convenience: a few quick tries, and the order goes on without it. */
export const receipt = activities('30 seconds', '2 seconds', '30 seconds', 5);

/** Customer emails about a bank transfer: 10 s doubling to 10 minutes, 10 attempts, about an hour of SMTP outage. */
export const mail = activities('1 minute', '10 seconds', '10 minutes', 10);
