// The thin Temporal shell every order workflow shares: it holds a machine's state, applies events to it
// through the machine's pure transition function, runs the commands that come out, keeps the search
// attributes in step, and registers the update and query handlers that both kinds of order answer
// (openCheckout, cancelOrder, resumeOrder, orderState). Deterministic orchestration only.
import {
  ActivityFailure,
  ApplicationFailure,
  TemporalFailure,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { failure, failureTypeOf, type FailureType } from '../domain/failures.ts';
import { orderStatusSentence } from '../domain/order-status-text.ts';
import { orderChange, orderCurrentDetails } from '../domain/order-descriptions.ts';
import {
  cancelOrderUpdate,
  defaultPaperworkTaskQueue,
  openCheckoutUpdate,
  orderStateQuery,
  resumeOrderUpdate,
  type OrderRefusal,
  type OrderSnapshot,
  type TopUpOrderResult,
} from '../domain/orders.ts';
import { needsReviewKey, orderStatusKey } from '../domain/search-attributes.ts';
import type { OrderMachineState, TimerFired, Transition } from './order-machine.ts';

export interface OrderMachine<State extends OrderMachineState, Event, Command> {
  decide(state: State, event: Event | TimerFired): Transition<State, Command>;
  /** Whether events from outside (signals, updates) may be applied now; otherwise they wait in the inbox. */
  acceptsExternalEvents(state: State): boolean;
  wakeAtMilliseconds(state: State): number | null;
  /** Whether a command writes the order's row: handlers answer only once no such write is outstanding. */
  writesRow(command: Command): boolean;
  /** Runs one command; what it reports back (if anything) is the next event. */
  run(command: Command, state: State): Promise<Event | null>;
}

/** One order's running machine. */
export class OrderRun<State extends OrderMachineState, Event, Command> {
  /** Events from signals and updates, applied in arrival order when the machine accepts them. */
  private readonly inbox: Event[] = [];
  /** Row writes asked for and not yet done. */
  private outstandingWrites = 0;

  /** The current details' last event (Temporal UI); kept in memory, rebuilt the same way on replay. */
  private lastChange: string;

  constructor(
    private current: State,
    private readonly machine: OrderMachine<State, Event, Command>,
  ) {
    this.lastChange = `started at ${new Date(Date.now()).toISOString()}`;
    setCurrentDetails(orderCurrentDetails(current.order, this.lastChange));
  }

  get state(): State {
    return this.current;
  }

  /** The state as it will be once the inbox is applied: what validators judge a new request against. */
  preview(): State {
    return this.inbox.reduce((state, event) => this.machine.decide(state, event).state, this.current);
  }

  /** True when every row write the state asked for is done: the order's row shows what the state shows. */
  isSaved(): boolean {
    return this.outstandingWrites === 0;
  }

  /** Queues an event from a signal or an update. */
  deliver(event: Event): void {
    this.inbox.push(event);
  }

  /** Carries out a transition's commands; each command's report is applied in turn. */
  async carryOut(transition: Transition<State, Command>): Promise<void> {
    const pending: Transition<State, Command>[] = [transition];
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
      this.setState(next.state);
      const writes = next.commands.filter((command) => this.machine.writesRow(command)).length;
      this.outstandingWrites += writes;
      for (const command of next.commands) {
        const report = await this.machine.run(command, this.current);
        if (this.machine.writesRow(command)) this.outstandingWrites -= 1;
        if (report !== null) pending.push(this.machine.decide(this.current, report));
      }
    }
  }

  /** Carries out the first transition, runs the machine to its end, and reports how the order ended. */
  async runOrder(start: Transition<State, Command>): Promise<TopUpOrderResult> {
    await this.carryOut(start);
    await this.runToEnd();
    const { refusal, order } = this.current;
    if (refusal !== null) return { outcome: 'rejected', code: refusal.code, message: refusal.message };
    return { outcome: 'closed', status: order.status };
  }

  /** Runs the machine until it has finished and every event that reached it has been applied. */
  private async runToEnd(): Promise<void> {
    while (!this.current.finished || this.inbox.length > 0) {
      if (!this.current.finished) await this.waitForEvent();
      if (this.inbox.length === 0) continue;
      // Every command reports back, so between commands the machine is always waiting or finished.
      if (!this.machine.acceptsExternalEvents(this.current)) throw new Error('an order machine stopped between commands');
      await this.carryOut(this.machine.decide(this.current, this.inbox.shift()!));
    }
    await condition(allHandlersFinished);
  }

  private async waitForEvent(): Promise<void> {
    if (this.inbox.length > 0) return;
    const wakeAt = this.machine.wakeAtMilliseconds(this.current);
    if (wakeAt === null) return void (await condition(() => this.inbox.length > 0));
    const remaining = wakeAt - Date.now();
    const arrived = remaining > 0 && (await condition(() => this.inbox.length > 0, remaining));
    if (!arrived) await this.carryOut(this.machine.decide(this.current, { type: 'timer_fired', nowMilliseconds: Date.now() }));
  }

  /** Search attributes are an index of the state: updated whenever what they index changes. */
  private setState(state: State): void {
    const before = this.current.order;
    this.current = state;
    // The Temporal UI's current details follow the state; setting them adds nothing to the history.
    const change = orderChange(before, state.order, new Date(Date.now()).toISOString());
    if (change !== null) {
      this.lastChange = change;
      setCurrentDetails(orderCurrentDetails(state.order, this.lastChange));
    }
    if (before.status !== state.order.status || before.needsReview !== state.order.needsReview) {
      upsertSearchAttributes([
        { key: orderStatusKey, value: state.order.status },
        { key: needsReviewKey, value: state.order.needsReview },
      ]);
    }
  }
}

/** How one kind of order answers the handlers every order has. */
export interface SharedHandlerRules<State extends OrderMachineState, Event> {
  requestHash: string;
  /** True once the order can be shown to its creator (its checkout is open, or its instructions known). */
  isReady(state: State): boolean;
  /** The failure to answer openCheckout with once the order will never be ready, or null. */
  openFailure(state: State): Error | null;
  canCancel(state: State): boolean;
  canResume(state: State, nowMilliseconds: number): boolean;
  cancelEvent(nowMilliseconds: number): Event;
}

/** Registers the state query and the openCheckout, cancelOrder and resumeOrder updates. */
export function setSharedOrderHandlers<State extends OrderMachineState, Event, Command>(
  run: OrderRun<State, Event, Command>,
  rules: SharedHandlerRules<State, Event>,
): void {
  const snapshot = (): OrderSnapshot => run.state.order;
  setHandler(orderStateQuery, () => (run.state.recorded ? snapshot() : null));

  setHandler(
    openCheckoutUpdate,
    async () => {
      await condition(() => run.state.refusal !== null || rules.openFailure(run.state) !== null || (rules.isReady(run.state) && run.isSaved()));
      const refusal = run.state.refusal;
      if (refusal !== null) throw failure(refusal.code, refusal.message);
      const openFailure = rules.openFailure(run.state);
      if (openFailure !== null) throw openFailure;
      return snapshot();
    },
    {
      validator: ({ requestHash }) => {
        if (requestHash !== rules.requestHash) {
          throw failure('idempotency_key_reused', 'This Idempotency-Key was already used with a different request.');
        }
      },
    },
  );

  setHandler(
    cancelOrderUpdate,
    async () => {
      run.deliver(rules.cancelEvent(Date.now()));
      await condition(() => run.state.refusal !== null || (run.state.order.status !== 'pending' && run.isSaved()));
      const status = run.state.order.status;
      if (status !== 'cancelled') throw failure('order_not_cancellable', `${orderStatusSentence(status)} Only a pending order can be cancelled.`);
      return snapshot();
    },
    {
      validator: () => {
        const preview = run.preview();
        if (!rules.canCancel(preview)) throw failure('order_not_cancellable', `${orderStatusSentence(preview.order.status)} Only a pending order can be cancelled.`);
      },
    },
  );

  setHandler(
    resumeOrderUpdate,
    async () => {
      await condition(() => run.state.refusal !== null || !rules.canResume(run.state, Date.now()) || rules.isReady(run.state));
      if (!rules.canResume(run.preview(), Date.now())) throw failure('order_not_resumable', `The order is ${run.state.order.status}.`);
      return snapshot();
    },
    {
      validator: () => {
        if (!rules.canResume(run.preview(), Date.now())) throw failure('order_not_resumable', 'The order can no longer be paid.');
      },
    },
  );
}

/** Runs an activity; its final failure becomes an event for the machine instead of failing the order. */
export async function reportFailure<Event>(attempt: () => Promise<Event>, onFailure: (reason: string) => Event): Promise<Event> {
  try {
    return await attempt();
  } catch (error) {
    if (!(error instanceof ActivityFailure) || isCancellation(error)) throw error;
    return onFailure(error.cause?.message ?? error.message);
  }
}

/**
 * The patch behind which a write activity's final failure (permanent, or its retries used up) becomes
 * an event for the machine: a refused order, or one flagged for a person. Runs started before it let
 * such a failure fail the workflow, as they did when they were recorded.
 */
export const writeFailuresReportedPatch = 'write-failures-reported';

/** The final failure of a row write, for the machine; or the failure rethrown (cancellation, an older run). */
async function reportWriteFailure<Event>(attempt: () => Promise<Event>, onFailure: (reason: string, type: FailureType | null) => Event): Promise<Event> {
  try {
    return await attempt();
  } catch (error) {
    if (!(error instanceof ActivityFailure) || isCancellation(error) || !patched(writeFailuresReportedPatch)) throw error;
    return onFailure(error.cause?.message ?? error.message, failureTypeOf(error));
  }
}

/** Records a new order; a failure that retrying cannot mend refuses the order, with its reason. */
export function recordOrReport<Event>(record: () => Promise<Event>, refused: (refusal: OrderRefusal) => Event): Promise<Event> {
  return reportWriteFailure(record, (reason, type) =>
    refused({
      code: type === 'invalid_data' || type === 'database_refused' ? type : 'retries_exhausted',
      message: `The order could not be recorded: ${reason}`,
    }),
  );
}

/** Runs a write that reports nothing; its final failure becomes a write_failed event (the order is flagged). */
export async function writeOrReport<Event>(write: () => Promise<void>, failed: (reason: string) => Event): Promise<Event | null> {
  return reportWriteFailure<Event | null>(async () => {
    await write();
    return null;
  }, failed);
}

/**
 * The patch behind which an order runs its short database steps (record, save, credit, ops action
 * records) as local activities, and its paperwork (receipt link, invoice, its email) on the paperwork
 * task queue, served by a worker of its own, so paperwork never takes a slot a credit needs. Runs
 * started before it keep their activities, and their paperwork on the order's task queue, as recorded.
 * Decided once, at the workflow's start (see leanOrderPath).
 */
export const leanOrderPatch = 'local-database-steps-paperwork-queue';

/**
 * Whether this run takes the lean path. Called once, first thing: patched() answers false while an old
 * history replays and could answer true once that run goes on live, so the answer is kept for the run.
 */
export function leanOrderPath(): boolean {
  return patched(leanOrderPatch);
}

/** The paperwork task queue: what the order's input names, else the one derived from its own task queue. */
export function paperworkTaskQueueOf(input: { paperworkTaskQueue?: string }): string {
  return input.paperworkTaskQueue ?? defaultPaperworkTaskQueue(workflowInfo().taskQueue);
}

/**
 * A short database step as a local activity, then, once its short budget is spent (PostgreSQL away for
 * more than seconds), the same activity through the server under its full budget. Both are idempotent
 * (keyed by the order), so a step is never applied twice. A permanent failure is final at once.
 */
export async function localFirst<Result>(local: () => Promise<Result>, remote: () => Promise<Result>): Promise<Result> {
  try {
    return await local();
  } catch (thrown) {
    const error = asActivityFailure(thrown);
    if (!(error instanceof ActivityFailure) || isCancellation(error)) throw error;
    // Every named failure is permanent (domain/failures.ts): retrying it through the server would not mend it.
    if (failureTypeOf(error) !== null) throw error;
    log.warn('a local database step used up its budget; running it through the server', { error: String(error.cause?.message ?? error.message) });
    return remote();
  }
}

/**
 * A local activity's final failure reaches the workflow as the failure itself (an ApplicationFailure, a
 * TimeoutFailure), where an activity's comes wrapped in an ActivityFailure. Wrapped the same way here, so
 * the callers (reportFailure, recordOrReport, writeOrReport) treat both alike.
 */
function asActivityFailure(error: unknown): unknown {
  if (error instanceof ActivityFailure || !(error instanceof TemporalFailure) || isCancellation(error)) return error;
  const retryState = error instanceof TimeoutFailure ? 'TIMEOUT' : error instanceof ApplicationFailure && error.nonRetryable ? 'NON_RETRYABLE_FAILURE' : 'MAXIMUM_ATTEMPTS_REACHED';
  return new ActivityFailure(error.message, 'local activity', undefined, retryState, undefined, error);
}
