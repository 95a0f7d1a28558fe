// The activity stubs of the order workflows, each with timeouts and a bounded retry policy matched to its
// work. Permanent failures (domain/failures.ts) are never retried; everything else is retried with
// backoff until the attempts run out, and then the workflow records the reason for a person.
//
// The timeouts are what a worker crash costs an order: an attempt on a worker that died is retried only
// once its start-to-close (or heartbeat) timeout has passed, so each is a few times what the work takes,
// not a minute. Each client below an activity has its own timeout under the activity's (PostgreSQL's
// connect timeout in db/client.ts, Stripe's request timeout, SMTP's socket timeout), so a slow
// dependency fails the attempt with its own error before Temporal gives up on it.
import { proxyActivities, proxyLocalActivities, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.ts';
import { permanentFailureTypes } from '../domain/failures.ts';

type Duration = NonNullable<ActivityOptions['startToCloseTimeout']>;

interface Policy {
  startToCloseTimeout: Duration;
  /** For activities that heartbeat while they wait (activities/activity-context.ts): how soon a dead worker is noticed. */
  heartbeatTimeout?: Duration;
  initialInterval: Duration;
  maximumInterval: Duration;
  maximumAttempts: number;
}

/** The options of a policy: retried from initialInterval doubling to maximumInterval, permanent failures never. */
export function activityOptions(policy: Policy): ActivityOptions {
  const { startToCloseTimeout, heartbeatTimeout, initialInterval, maximumInterval, maximumAttempts } = policy;
  return {
    startToCloseTimeout,
    ...(heartbeatTimeout === undefined ? {} : { heartbeatTimeout }),
    retry: { initialInterval, backoffCoefficient: 2, maximumInterval, maximumAttempts, nonRetryableErrorTypes: [...permanentFailureTypes] },
  };
}

/** Every policy the order workflows use, by name: held to their bounds by test/activity-policies.test.ts. */
export const activityPolicies = {} as Record<string, ActivityOptions>;
/** The local activities' policies, by name, held to their own bounds by the same test. */
export const localActivityPolicies = {} as Record<string, LocalActivityOptions>;

function activities(name: string, policy: Policy) {
  activityPolicies[name] = activityOptions(policy);
  return proxyActivities<OrderActivities>(activityPolicies[name]);
}

/**
 * Short database transactions (milliseconds; seconds when rows are locked): 10 s each, retried from
 * 1 s doubling to 1 minute, 100 attempts, about an hour and a half of outage.
 */
export const database = activities('database', { startToCloseTimeout: '10 seconds', initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 100 });

/**
 * Provider calls: 30 s each, above the Stripe client's own 8 s per request and its 2 network retries
 * (activities/payments/stripe-provider.ts); these retries cover outages, about half an hour.
 */
export const provider = activities('provider', { startToCloseTimeout: '30 seconds', initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 30 });

/** The receipt link is a convenience: a few quick tries, and the order goes on without it. */
export const receipt = activities('receipt', { startToCloseTimeout: '30 seconds', initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 });

/**
 * Customer emails about a bank transfer: heartbeating while the SMTP server takes the message, so a
 * dead worker is noticed in 10 s; 10 s doubling to 10 minutes, 10 attempts, about an hour of SMTP outage.
 */
export const mail = activities('mail', {
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '10 seconds',
  initialInterval: '10 seconds',
  maximumInterval: '10 minutes',
  maximumAttempts: 10,
});

/**
 * Issuing an invoice (number, row, PDF rendered while heartbeating): 30 s each, 1 s doubling to
 * 5 minutes, 300 attempts, about a day of database outage before a person is told.
 */
export const invoiceIssuePolicy = (activityPolicies.invoiceIssue = activityOptions({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '10 seconds',
  initialInterval: '1 second',
  maximumInterval: '5 minutes',
  maximumAttempts: 300,
}));

/**
 * The invoice email, heartbeating while the SMTP server takes it (a large PDF over a slow link can take
 * a minute): 10 s doubling to 10 minutes, 12 attempts, about an hour of SMTP outage.
 */
export const invoiceEmailPolicy = (activityPolicies.invoiceEmail = activityOptions({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  initialInterval: '10 seconds',
  maximumInterval: '10 minutes',
  maximumAttempts: 12,
}));

/**
 * The whole paperwork of a hosted checkout order in one activity (the receipt link, the invoice and its
 * email, activities/paperwork.ts): issuing's budget, about a day of database outage, with the email's
 * start-to-close (a large PDF over a slow link). The email inside it gives up on its own after
 * paperworkEmailRetrySeconds (workflows/invoice-step.ts), so an SMTP outage is not retried for a day.
 */
export const paperworkPolicy = (activityPolicies.paperwork = activityOptions({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  initialInterval: '1 second',
  maximumInterval: '5 minutes',
  maximumAttempts: 300,
}));

/**
 * Reconciliation (workflows/reconciliation.ts): a query, or one provider call and one delivery, 30 s
 * each, 2 s doubling to 30 s, 5 attempts, a couple of minutes: the schedule's next run, minutes later,
 * asks again about whatever is left, so no run waits out an outage.
 */
export const reconciliation = activities('reconciliation', { startToCloseTimeout: '30 seconds', initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 });

/**
 * Short database transactions run as local activities, in the worker that runs the order's workflow
 * task, so that a record, a save or a credit costs no round trip through the server (no activity task,
 * no second workflow task). Temporal's guidance fits them: milliseconds of work, idempotent (keyed by the
 * order), and no long retries. So the budget is short: 10 s an attempt (above PostgreSQL's 5 s connect
 * timeout), 1 s doubling to 5 s, 5 attempts, 30 s in all; past it the order workflow falls back to the
 * same activity under the `database` policy above (workflows/order-run.ts, localFirst), so an outage
 * of PostgreSQL is still waited out for an hour and a half, through the server.
 */
export const localDatabase = proxyLocalActivities<OrderActivities>(
  (localActivityPolicies.localDatabase = {
    startToCloseTimeout: '10 seconds',
    scheduleToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 5, nonRetryableErrorTypes: [...permanentFailureTypes] },
  }),
);

/**
 * Opening a checkout as a local activity, in the workflow task that records the order, so that creating
 * an order costs one workflow task and no activity task. The provider answers in well under a second;
 * the budget is short: 10 s an attempt, 1 s doubling to 2 s, 2 attempts, 20 s in all. A provider slower
 * than that (the Stripe client's own retries take up to about 24 s) makes the workflow fall back to the
 * same activity through the server under the `provider` policy above, so an outage is still waited out
 * and, by the session's idempotency key, no second session is ever opened.
 */
export const localProvider = proxyLocalActivities<OrderActivities>(
  (localActivityPolicies.localProvider = {
    startToCloseTimeout: '10 seconds',
    scheduleToCloseTimeout: '20 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '2 seconds', maximumAttempts: 2, nonRetryableErrorTypes: [...permanentFailureTypes] },
  }),
);

/** The paperwork stubs of an order (receipt link, invoice, its email), on the paperwork task queue. */
export function paperworkActivities(taskQueue: string) {
  return {
    receipt: proxyActivities<OrderActivities>({ ...activityPolicies.receipt, taskQueue }),
    // The receipt link and the invoice in one activity: issuing's policy, which the receipt's lookup fits in.
    receiptAndInvoice: proxyActivities<OrderActivities>({ ...invoiceIssuePolicy, taskQueue }),
    invoiceStep: { issue: { ...invoiceIssuePolicy, taskQueue }, email: { ...invoiceEmailPolicy, taskQueue } },
    // The receipt link, the invoice and its email in one activity.
    wholePaperwork: proxyActivities<OrderActivities>({ ...paperworkPolicy, taskQueue }),
  };
}
