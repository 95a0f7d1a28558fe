// One account's automatic recharge (auto-recharge-<account id>): the thin Temporal shell around
// workflows/auto-recharge-state.ts. Started by signal-with-start on a threshold crossing (or a PUT of
// the settings), it registers the signals, turns them and timers into the machine's events, and runs
// its commands as activities. It owns auto_recharge_status and auto_recharge_attempts, and the rows of
// its recharge orders. A run ends when the machine is idle; a long one continues as new.
import {
  ActivityFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  setHandler,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import {
  autoRechargeStateQuery,
  paymentIntentSignal,
  settingsChangedSignal,
  thresholdCrossedSignal,
  type AutoRechargeWorkflowInput,
} from '../domain/auto-recharge.ts';
import { orderWorkflowId, orderWorkflowTypes, type OrderSnapshot } from '../domain/orders.ts';
import { accountIdKey, autoRechargeStateKey, consecutiveFailuresKey, paymentMethodKey } from '../domain/search-attributes.ts';
import { database, invoiceEmailPolicy, invoiceIssuePolicy, mail, provider } from './activity-options.ts';
import { decideAutoRecharge, isFinished, isWaiting, startAutoRecharge, type AutoRechargeCommand, type AutoRechargeEvent, type AutoRechargeMachineState } from './auto-recharge-state.ts';
import { issueInvoiceAndEmail } from './invoice-step.ts';

/** A run that has seen this many events continues as new at its next idle moment. */
const maximumHistoryLength = 2_000;

/** Runs the account's recharges until nothing is left to do. */
export async function autoRechargeWorkflow(input: AutoRechargeWorkflowInput): Promise<void> {
  const start = startAutoRecharge(input.accountId);
  let state = start.state;
  const inbox: AutoRechargeEvent[] = [];
  setHandler(thresholdCrossedSignal, () => void inbox.push({ type: 'crossed' }));
  setHandler(settingsChangedSignal, ({ version }) => void inbox.push({ type: 'settings_changed', version }));
  setHandler(paymentIntentSignal, (event) => void inbox.push({ type: 'intent_event', event, nowMilliseconds: Date.now() }));
  setHandler(autoRechargeStateQuery, () => ({ phase: state.phase, consecutiveFailures: state.consecutiveFailures }));

  const commands = [...start.commands];
  const run: RunContext = { input, credited: null };
  let indexed = '';
  for (;;) {
    for (let command = commands.shift(); command !== undefined; command = commands.shift()) {
      const event = await runCommand(command, state, run);
      if (event === null) continue;
      const next = decideAutoRecharge(state, event);
      state = next.state;
      commands.push(...next.commands);
    }
    indexed = indexState(state, input.accountId, indexed);
    if (isFinished(state) && inbox.length === 0) {
      await condition(allHandlersFinished);
      return;
    }
    if (state.phase !== 'awaiting_outcome' && workflowInfo().historyLength > maximumHistoryLength && inbox.length === 0) {
      // The new run reads the same counters from the database; a backoff's wake-up is a crossing away.
      await continueAsNew<typeof autoRechargeWorkflow>(input);
    }
    const next = decideAutoRecharge(state, await nextEvent(state, inbox));
    state = next.state;
    commands.push(...next.commands);
  }
}

/** The next signal while the machine waits, or the timer it asked for. */
async function nextEvent(state: AutoRechargeMachineState, inbox: AutoRechargeEvent[]): Promise<AutoRechargeEvent> {
  const wakeAt = state.wakeAtMilliseconds;
  const arrived = await (wakeAt === null
    ? condition(() => inbox.length > 0 && isWaiting(state)).then(() => true)
    : condition(() => inbox.length > 0, Math.max(wakeAt - Date.now(), 1)));
  return arrived ? inbox.shift()! : { type: 'timer_fired', nowMilliseconds: Date.now() };
}

/** Keeps the search attributes (an index for ops, never a second truth) in step with the machine. */
function indexState(state: AutoRechargeMachineState, accountId: string, last: string): string {
  const shown = state.lastOutcome === 'paused' || state.lastOutcome === 'disabled' ? state.lastOutcome : state.phase;
  const key = `${shown}/${state.consecutiveFailures}`;
  if (key !== last) {
    upsertSearchAttributes([
      { key: accountIdKey, value: accountId },
      { key: paymentMethodKey, value: 'auto_recharge' },
      { key: autoRechargeStateKey, value: shown },
      { key: consecutiveFailuresKey, value: state.consecutiveFailures },
    ]);
  }
  return key;
}

/** An activity's final failure as a reason, for the failures the machine decides on. */
async function reasonOfFailure<Result>(call: () => Promise<Result>): Promise<{ ok: true; value: Result } | { ok: false; reason: string }> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    if (!(error instanceof ActivityFailure) || isCancellation(error)) throw error;
    return { ok: false, reason: error.cause?.message ?? error.message };
  }
}

/** Carries out one command; returns what it reports back to the machine. */
async function runCommand(command: AutoRechargeCommand, state: AutoRechargeMachineState, run: RunContext): Promise<AutoRechargeEvent | null> {
  const input = run.input;
  const accountId = input.accountId;
  const version = state.settings?.version ?? 0;
  switch (command.kind) {
    case 'load':
      return { type: 'loaded', context: await database.loadAutoRechargeContext({ accountId }), nowMilliseconds: Date.now(), attemptKey: uuid4() };
    case 'begin_attempt':
      return { type: 'attempt_begun', ...(await database.beginAutoRecharge({ accountId, attemptKey: command.attemptKey, amountMicros: command.amountMicros, settingsVersion: command.settingsVersion })) };
    case 'charge':
    case 'poll': {
      const charged = await reasonOfFailure(() =>
        command.kind === 'charge' ? provider.chargeAutoRecharge({ attemptId: command.attemptId }) : provider.retrieveAutoRechargeCharge({ paymentIntentId: command.paymentIntentId }),
      );
      return charged.ok ? { type: 'charged', result: charged.value, nowMilliseconds: Date.now() } : { type: 'charge_refused', reason: charged.reason };
    }
    case 'credit':
      run.credited = await database.creditAutoRecharge({ attemptId: command.attemptId, paymentIntentId: command.paymentIntentId });
      return { type: 'credited' };
    case 'record_failure':
      await database.recordAutoRechargeFailure({ accountId, attemptId: command.attemptId, settingsVersion: version, outcome: command.outcome, declineCode: command.declineCode, consecutiveFailures: command.consecutiveFailures, stop: command.stop, reason: command.stop?.reason ?? `Declined (${command.declineCode}); tried again later.` });
      return { type: 'recorded' };
    case 'record_skip':
      await database.recordAutoRechargeSkip({ accountId, settingsVersion: version, consecutiveFailures: state.consecutiveFailures, reason: command.reason });
      return { type: 'recorded' };
    case 'email':
      await email(command, state, input);
      return null;
    case 'paperwork':
      if (run.credited !== null) await paperwork(run.credited, input.paperworkTaskQueue);
      run.credited = null;
      return { type: 'paperwork_done' };
  }
}


/** What a run carries between commands: its input, and the credit the paperwork is for. */
interface RunContext {
  input: AutoRechargeWorkflowInput;
  credited: { order: OrderSnapshot; balanceAfter: string } | null;
}

/** The invoice of the credited recharge, on the paperwork queue; it can never undo the credit. */
async function paperwork(credited: { order: OrderSnapshot; balanceAfter: string }, queue: string): Promise<void> {
  await issueInvoiceAndEmail(credited.order, credited.balanceAfter, { issue: { ...invoiceIssuePolicy, taskQueue: queue }, email: { ...invoiceEmailPolicy, taskQueue: queue } });
}

/** Tells the customer; for authentication, first opens a normal Checkout top-up for the same amount. */
async function email(command: Extract<AutoRechargeCommand, { kind: 'email' }>, state: AutoRechargeMachineState, input: AutoRechargeWorkflowInput): Promise<void> {
  const attemptId = command.attemptId;
  let checkoutOrderId: string | null = null;
  if (command.email === 'authentication_required') {
    const topUp = await database.prepareAuthenticationTopUp({ accountId: input.accountId, attemptId, amountMicros: command.amountMicros, paperworkTaskQueue: input.paperworkTaskQueue });
    await startChild(orderWorkflowTypes.stripe, {
      workflowId: orderWorkflowId(topUp.orderId),
      args: [topUp],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: accountIdKey, value: input.accountId },
        { key: paymentMethodKey, value: 'stripe' },
      ],
    });
    checkoutOrderId = topUp.orderId;
  }
  // The email never holds up or undoes the round: a final failure is in the worker's log.
  await reasonOfFailure(() =>
    mail.sendAutoRechargeEmail({ accountId: input.accountId, attemptId, email: command.email, amountMicros: command.amountMicros, currency: state.settings?.currency ?? 'USD', declineCode: command.declineCode, reason: command.reason, checkoutOrderId }),
  );
}
