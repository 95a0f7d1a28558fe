// Every activity policy of the order workflows is bounded: a finite number of attempts, a start-to-close
// timeout in seconds (what a crashed worker costs an order), a heartbeat timeout on the activities that
// can run long, and every permanent failure type excluded from retries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { permanentFailureTypes } from '../domain/failures.ts';
import { activityPolicies, localActivityPolicies } from '../workflows/activity-options.ts';

/** Durations as the policies write them ('10 seconds', '2 minutes'), in milliseconds. */
function milliseconds(duration: unknown): number {
  const match = /^(\d+) (second|minute)s?$/.exec(String(duration));
  assert.ok(match, `unreadable duration ${String(duration)}`);
  return Number(match[1]) * (match[2] === 'minute' ? 60_000 : 1_000);
}

test('every activity policy has bounded attempts, a timeout in seconds, and never retries a permanent failure', () => {
  const names = Object.keys(activityPolicies).sort();
  assert.deepEqual(names, ['database', 'invoiceEmail', 'invoiceIssue', 'mail', 'paperwork', 'provider', 'receipt', 'reconciliation']);
  for (const [name, policy] of Object.entries(activityPolicies)) {
    const attempts = policy.retry?.maximumAttempts ?? 0;
    assert.ok(attempts > 0 && attempts <= 300, `${name}: ${attempts} attempts`);
    assert.ok(milliseconds(policy.startToCloseTimeout) <= 30_000 || policy.heartbeatTimeout !== undefined, `${name}: a long start-to-close needs a heartbeat`);
    if (policy.heartbeatTimeout !== undefined) assert.ok(milliseconds(policy.heartbeatTimeout) <= 10_000, `${name}: heartbeat timeout`);
    assert.deepEqual([...(policy.retry?.nonRetryableErrorTypes ?? [])].sort(), [...permanentFailureTypes].sort(), `${name}: permanent failures`);
  }
  assert.equal(milliseconds(activityPolicies.database!.startToCloseTimeout), 10_000, 'a crashed database attempt is retried after 10 s');
});

test('every local activity policy is short: seconds an attempt, a bounded total, few attempts, no permanent failure retried', () => {
  assert.deepEqual(Object.keys(localActivityPolicies).sort(), ['localDatabase', 'localProvider']);
  for (const [name, policy] of Object.entries(localActivityPolicies)) {
    // Temporal's guidance for local activities: short work, no long retries (a longer budget belongs
    // to the activity through the server, which the workflow falls back to).
    assert.ok(milliseconds(policy.startToCloseTimeout) <= 10_000, `${name}: start-to-close`);
    assert.ok(milliseconds(policy.scheduleToCloseTimeout) <= 60_000, `${name}: schedule-to-close`);
    const attempts = policy.retry?.maximumAttempts ?? 0;
    assert.ok(attempts > 0 && attempts <= 10, `${name}: ${attempts} attempts`);
    assert.ok(milliseconds(policy.retry?.maximumInterval) <= 10_000, `${name}: retry interval`);
    assert.deepEqual([...(policy.retry?.nonRetryableErrorTypes ?? [])].sort(), [...permanentFailureTypes].sort(), `${name}: permanent failures`);
  }
});
