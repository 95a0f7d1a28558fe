// Running workflows must keep replaying: every history recorded from a real run (test/fixtures/histories,
// written by `npm run histories:record`) replays against the current workflow code without
// nondeterminism. A failure here means a change to a workflow's control flow would break orders that
// are open now: put the change behind patched(), or give the workflow a new type (README, "Versioning").
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { repositoryRoot } from '../dev/tools.ts';
import * as workflows from '../workflows/index.ts';
import { workflowBundle } from './support/pipeline.ts';

const historiesDirectory = path.join(repositoryRoot, 'test/fixtures/histories');

interface RecordedHistory {
  workflowType: string;
  scenario: string;
  history: unknown;
}

async function recordedHistories(): Promise<RecordedHistory[]> {
  const histories: RecordedHistory[] = [];
  for (const workflowType of (await readdir(historiesDirectory)).sort()) {
    for (const file of (await readdir(path.join(historiesDirectory, workflowType))).sort()) {
      const text = await readFile(path.join(historiesDirectory, workflowType, file), 'utf8');
      histories.push({ workflowType, scenario: path.basename(file, '.json'), history: JSON.parse(text) });
    }
  }
  return histories;
}

test('every workflow type the worker runs has recorded histories', async () => {
  const recorded = new Set((await recordedHistories()).map((history) => history.workflowType));
  for (const workflowType of Object.keys(workflows)) {
    assert.ok(recorded.has(workflowType), `no recorded history of ${workflowType}: run npm run histories:record`);
  }
});

test('every recorded history replays against the current workflow code', async () => {
  const histories = await recordedHistories();
  assert.ok(histories.length >= 8, `only ${histories.length} histories recorded`);
  // One replay worker for every history: starting one per history costs seconds each.
  const scenarios = new Map(histories.map(({ workflowType, scenario, history }) => [`replay-${workflowType}-${scenario}`, { workflowType, scenario, history }]));
  const replayed = new Set<string>();
  const results = Worker.runReplayHistories(
    { workflowBundle: await workflowBundle(), replayName: 'replay-recorded-histories' },
    [...scenarios].map(([workflowId, { history }]) => ({ workflowId, history: history as never })),
  );
  for await (const { workflowId, error } of results) {
    const { workflowType, scenario } = scenarios.get(workflowId)!;
    assert.equal(error, undefined, `${workflowType}/${scenario} no longer replays: ${String(error)}`);
    replayed.add(workflowId);
  }
  assert.deepEqual([...replayed].sort(), [...scenarios.keys()].sort(), 'a recorded history was not replayed');
});

interface HistoryEvent {
  eventType: string;
  activityTaskScheduledEventAttributes?: { activityType: { name: string }; taskQueue: { name: string } };
  markerRecordedEventAttributes?: { markerName: string; details?: { data?: { payloads?: { data: string }[] } } };
}

interface StepInHistory {
  activityType: string;
  local: boolean;
  taskQueue: string | null;
  /** Whether the payment event's signal came before it. */
  afterSignal: boolean;
}

/** The workflow tasks, the activities (local ones from their markers) and the events of a recorded history. */
function stepsOf(history: unknown): { workflowTasks: number; activities: StepInHistory[]; events: number } {
  const events = (history as { events: HistoryEvent[] }).events;
  let signalled = false;
  const activities: StepInHistory[] = [];
  for (const event of events) {
    if (event.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED') signalled = true;
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled !== undefined) activities.push({ activityType: scheduled.activityType.name, local: false, taskQueue: scheduled.taskQueue.name, afterSignal: signalled });
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_local_activity') {
      const data = JSON.parse(Buffer.from(marker.details!.data!.payloads![0]!.data, 'base64').toString('utf8')) as { activity_type: string };
      activities.push({ activityType: data.activity_type, local: true, taskQueue: null, afterSignal: signalled });
    }
  }
  return { workflowTasks: events.filter((event) => event.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED').length, activities, events: events.length };
}

const paperworkActivityTypes = ['recordReceipt', 'issueInvoice', 'sendInvoiceEmail'];

type RecordedSteps = ReturnType<typeof stepsOf>;

/** The steps of recorded paid Stripe order histories, each printed as a diagnostic under its label. */
async function paidStripeOrders<Label extends string>(context: { diagnostic(message: string): void }, scenarios: Record<Label, string>): Promise<Record<Label, RecordedSteps>> {
  const histories = await recordedHistories();
  const steps = {} as Record<Label, RecordedSteps>;
  for (const [label, scenario] of Object.entries(scenarios) as [Label, string][]) {
    const counts = stepsOf(histories.find((entry) => entry.workflowType === 'stripeCheckoutOrder' && entry.scenario === scenario)!.history);
    const local = counts.activities.filter((step) => step.local).length;
    context.diagnostic(`${label}: ${counts.workflowTasks} workflow tasks, ${counts.activities.length} activities (${local} local): ${counts.activities.map((step) => step.activityType).join(', ')}`);
    steps[label] = counts;
  }
  return steps;
}

test('a paid Stripe order on the patched path: fewer workflow tasks, local database steps, one step from payment to credit, paperwork on its own queue', async (context) => {
  const { before, after } = await paidStripeOrders(context, { before: 'paid-and-invoiced', after: 'paid-and-invoiced-v2' });
  assert.equal(before.workflowTasks, 8);
  assert.ok(after.workflowTasks < before.workflowTasks, `${after.workflowTasks} workflow tasks`);
  assert.deepEqual(after.activities.filter((step) => step.local).map((step) => step.activityType), ['recordNewOrder', 'postOrderCredit']);
  // From the payment event to the credit: the credit alone.
  const toCredit = after.activities.filter((step) => step.afterSignal);
  assert.equal(toCredit.findIndex((step) => step.activityType === 'postOrderCredit') + 1, 1);
  // The paperwork runs on the paperwork task queue after the patch, on the order's queue before it.
  const paperwork = (counts: RecordedSteps) => counts.activities.filter((step) => paperworkActivityTypes.includes(step.activityType));
  assert.deepEqual(paperwork(after).map((step) => step.activityType), paperworkActivityTypes);
  assert.ok(paperwork(after).every((step) => step.taskQueue?.endsWith('-paperwork')), 'paperwork on the paperwork task queue');
  assert.ok(paperwork(before).every((step) => !step.taskQueue?.endsWith('-paperwork')), 'the old path keeps its task queue');
});

test('a paid Stripe order on the lean checkout path: created in one workflow task, the receipt link with the invoice', async (context) => {
  const { v2: before, v3: after } = await paidStripeOrders(context, { v2: 'paid-and-invoiced-v2', v3: 'paid-and-invoiced-v3' });
  assert.equal(before.workflowTasks, 6);
  assert.equal(after.workflowTasks, 4);
  // Before the payment: the record and the checkout, both local, so no activity task at all.
  const beforePayment = after.activities.filter((step) => !step.afterSignal);
  assert.deepEqual(beforePayment.map((step) => [step.activityType, step.local]), [['recordNewOrder', true], ['openCheckout', true]]);
  // From the payment event to the credit: the credit alone, local.
  const afterPayment = after.activities.filter((step) => step.afterSignal);
  assert.deepEqual(afterPayment[0], { activityType: 'postOrderCredit', local: true, taskQueue: null, afterSignal: true });
  // Then two paperwork activities, on the paperwork task queue, where there were three.
  assert.deepEqual(afterPayment.slice(1).map((step) => step.activityType), ['recordReceiptAndIssueInvoice', 'sendInvoiceEmail']);
  assert.ok(afterPayment.slice(1).every((step) => step.taskQueue?.endsWith('-paperwork')), 'paperwork on the paperwork task queue');
  const throughServer = (counts: RecordedSteps) => counts.activities.filter((step) => !step.local).length;
  assert.equal(throughServer(before), 4);
  assert.equal(throughServer(after), 2);
});

test('a paid Stripe order on the whole-paperwork path: three workflow tasks, one activity task, the paperwork in one activity', async (context) => {
  const { v3: before, v4: after } = await paidStripeOrders(context, { v3: 'paid-and-invoiced-v3', v4: 'paid-and-invoiced-v4' });
  assert.equal(before.workflowTasks, 4);
  assert.equal(after.workflowTasks, 3);
  // Created as before: the record and the checkout, local, in the first workflow task.
  assert.deepEqual(after.activities.filter((step) => !step.afterSignal).map((step) => [step.activityType, step.local]), [['recordNewOrder', true], ['openCheckout', true]]);
  const afterPayment = after.activities.filter((step) => step.afterSignal);
  assert.deepEqual(afterPayment[0], { activityType: 'postOrderCredit', local: true, taskQueue: null, afterSignal: true });
  // Then the receipt link, the invoice and its email: one activity on the paperwork task queue.
  assert.deepEqual(afterPayment.slice(1).map((step) => [step.activityType, step.taskQueue?.endsWith('-paperwork')]), [['recordReceiptIssueAndEmailInvoice', true]]);
  assert.equal(after.activities.filter((step) => !step.local).length, 1);
  context.diagnostic(`events: ${before.events} before, ${after.events} after`);
  assert.ok(after.events < before.events, `${after.events} events against ${before.events}`);
});
