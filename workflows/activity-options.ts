// The activity stubs of the order workflows, each with timeouts and a bounded retry policy matched to its
// work. Permanent failures (domain/failures.ts) are never retried; everything else is retried with
// backoff until the attempts run out, and then the workflow records the reason for a person.
import { proxyActivities } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.ts';
import { permanentFailureTypes } from '../domain/failures.ts';

const nonRetryableErrorTypes = [...permanentFailureTypes];

/** Short database transactions: 1 s doubling to 1 minute, 100 attempts, about an hour and a half of outage. */
export const database = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 100, nonRetryableErrorTypes },
});

/** Provider calls: the Stripe client retries network failures itself; these retries cover outages. */
export const provider = proxyActivities<OrderActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30, nonRetryableErrorTypes },
});

/** The receipt link is a convenience: a few quick tries, and the order goes on without it. */
export const receipt = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5, nonRetryableErrorTypes },
});

/** Customer emails about a bank transfer: 10 s doubling to 10 minutes, 10 attempts, about an hour of SMTP outage. */
export const mail = proxyActivities<OrderActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 10, nonRetryableErrorTypes },
});
