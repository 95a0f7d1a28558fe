// The rules of an account's automatic recharge, as a pure state machine: an event and the current state
// in, the next state and the commands to carry out out. No Temporal import, no clock (time arrives in
// events), no I/O; workflows/auto-recharge.ts is the thin shell that feeds it and runs its commands.
//
// One machine per account (auto-recharge-<account id>), so at most one recharge is in flight. Each
// round reads the settings and the counters the database holds (month's spending, today's recharges,
// the last recharge, the failures in a row), applies the rails, and either waits, or records an attempt
// and charges the saved card off-session. A success credits the order once and issues its invoice. A
// hard decline disables at once; soft declines back off (1 h, 6 h, 24 h) and pause after 3 in a row;
// authentication required pauses and mails a Checkout link. A stop is recorded for the settings version
// it happened under, so only the customer's next PUT lifts it: nothing here ever re-enables itself.
import {
  isHardDecline,
  maximumConsecutiveSoftFailures,
  softDeclineBackoffMilliseconds,
  type AutoRechargeSettingsSnapshot,
  type PaymentIntentEvent,
} from '../domain/auto-recharge.ts';
import type { OffSessionChargeResult } from '../activities/payments/saved-cards.ts';

/** Polling a charge still processing: from a minute, doubling, up to an hour; its event usually comes first. */
export const firstChargePollMilliseconds = 60_000;
export const maximumChargePollMilliseconds = 3_600_000;

/** What the database says when a round starts (loaded by one activity). */
export interface AutoRechargeContext {
  settings: AutoRechargeSettingsSnapshot | null;
  /** Whether a stop was recorded for these settings' version. */
  stopped: boolean;
  balanceMicros: string;
  /** Succeeded and in-flight recharges of the calendar month (UTC). */
  spentThisMonthMicros: string;
  /** Recharges (succeeded or in flight) since the start of the UTC day. */
  rechargesToday: number;
  lastRechargeAtMilliseconds: number | null;
  /** Failures in a row recorded for these settings' version. */
  consecutiveFailures: number;
}

export interface AutoRechargeAttempt {
  attemptId: string;
  orderId: string;
  amountMicros: string;
  settingsVersion: number;
  paymentIntentId: string | null;
}

export type AutoRechargePhase = 'idle' | 'loading' | 'beginning' | 'charging' | 'awaiting_outcome' | 'crediting' | 'recording' | 'paperwork' | 'waiting';

export interface AutoRechargeMachineState {
  accountId: string;
  phase: AutoRechargePhase;
  /** A crossing or a settings change arrived that no round has looked at yet. */
  pending: boolean;
  settings: AutoRechargeSettingsSnapshot | null;
  attempt: AutoRechargeAttempt | null;
  consecutiveFailures: number;
  /** When a waiting machine loads again (backoff, cooldown, the next day or month), or polls a charge. */
  wakeAtMilliseconds: number | null;
  pollDelayMilliseconds: number;
  /** Payment intent events already applied: a redelivery changes nothing. */
  appliedEventIds: string[];
  /** The last round's outcome, for the search attributes and the query. */
  lastOutcome: string | null;
}

export type { PaymentIntentEvent } from '../domain/auto-recharge.ts';

export type AutoRechargeEvent =
  | { type: 'crossed' }
  | { type: 'settings_changed'; version: number }
  | { type: 'loaded'; context: AutoRechargeContext; nowMilliseconds: number; attemptKey: string }
  /** The attempt and its order are recorded, or (refusal) no card can be charged now. */
  | { type: 'attempt_begun'; attemptId: string; orderId: string; refusal: string | null }
  /** The provider refused the charge for good (not a decline): a person must look, so it disables. */
  | { type: 'charge_refused'; reason: string }
  | { type: 'charged'; result: OffSessionChargeResult; nowMilliseconds: number }
  | { type: 'intent_event'; event: PaymentIntentEvent; nowMilliseconds: number }
  | { type: 'credited' }
  | { type: 'recorded' }
  | { type: 'paperwork_done' }
  | { type: 'timer_fired'; nowMilliseconds: number };

export type StopState = 'paused' | 'disabled';
export type EmailKind = 'first_failure' | 'paused' | 'disabled' | 'authentication_required';

export type AutoRechargeCommand =
  | { kind: 'load' }
  | { kind: 'begin_attempt'; attemptKey: string; amountMicros: string; settingsVersion: number }
  | { kind: 'charge'; attemptId: string }
  | { kind: 'poll'; attemptId: string; paymentIntentId: string }
  | { kind: 'credit'; attemptId: string; paymentIntentId: string }
  | { kind: 'record_failure'; attemptId: string; outcome: 'declined' | 'authentication_required' | 'failed'; declineCode: string | null; consecutiveFailures: number; stop: { state: StopState; reason: string } | null }
  | { kind: 'record_skip'; reason: string }
  | { kind: 'email'; email: EmailKind; attemptId: string; amountMicros: string; declineCode: string | null; reason: string }
  | { kind: 'paperwork'; orderId: string };

export interface AutoRechargeTransition {
  state: AutoRechargeMachineState;
  commands: AutoRechargeCommand[];
}

const unchanged = (state: AutoRechargeMachineState): AutoRechargeTransition => ({ state, commands: [] });
const dayMilliseconds = 86_400_000;

export function startAutoRecharge(accountId: string): AutoRechargeTransition {
  const state: AutoRechargeMachineState = {
    accountId,
    phase: 'loading',
    pending: false,
    settings: null,
    attempt: null,
    consecutiveFailures: 0,
    wakeAtMilliseconds: null,
    pollDelayMilliseconds: firstChargePollMilliseconds,
    appliedEventIds: [],
    lastOutcome: null,
  };
  return { state, commands: [{ kind: 'load' }] };
}

/** Whether the machine has nothing left to do: the shell may end the run. */
export function isFinished(state: AutoRechargeMachineState): boolean {
  return state.phase === 'idle' && !state.pending;
}

/** Whether the machine waits for the world (a signal or its timer), so an inbox event may be applied. */
export function isWaiting(state: AutoRechargeMachineState): boolean {
  return state.phase === 'idle' || state.phase === 'waiting' || state.phase === 'awaiting_outcome';
}

/** The one transition function: every change goes through here. */
export function decideAutoRecharge(state: AutoRechargeMachineState, event: AutoRechargeEvent): AutoRechargeTransition {
  switch (event.type) {
    case 'crossed':
      return wakeForRound(state);
    case 'settings_changed':
      return settingsChanged(state, event.version);
    case 'loaded':
      return loaded(state, event.context, event.nowMilliseconds, event.attemptKey);
    case 'attempt_begun':
      return event.refusal === null ? attemptBegun(state, event.attemptId, event.orderId) : skip({ ...state, attempt: null }, event.refusal, null);
    case 'charge_refused':
      return stop(state, 'failed', null, 'disabled', `The payment provider refused the charge: ${event.reason}`, 'disabled');
    case 'charged':
      return charged(state, event.result, event.nowMilliseconds);
    case 'intent_event':
      return intentEvent(state, event.event, event.nowMilliseconds);
    case 'credited':
      return { state: { ...state, phase: 'paperwork', consecutiveFailures: 0, lastOutcome: 'succeeded' }, commands: [{ kind: 'paperwork', orderId: state.attempt!.orderId }] };
    case 'recorded':
      return roundOver(state);
    case 'paperwork_done':
      return roundOver(state);
    case 'timer_fired':
      return timerFired(state, event.nowMilliseconds);
  }
}

/** A crossing: a new round if none is running; one in flight (or backing off) absorbs it. */
function wakeForRound(state: AutoRechargeMachineState): AutoRechargeTransition {
  if (state.phase === 'idle') return { state: { ...state, phase: 'loading', pending: false }, commands: [{ kind: 'load' }] };
  if (state.phase === 'waiting') return unchanged(state);
  return unchanged({ ...state, pending: true });
}

/**
 * New settings: a waiting or idle machine looks again at once; an attempt in flight finishes first.
 * A version the machine has already loaded (the signal that started the run) changes nothing.
 */
function settingsChanged(state: AutoRechargeMachineState, version: number): AutoRechargeTransition {
  if (state.settings !== null && version <= state.settings.version) return unchanged(state);
  if (state.phase === 'idle' || state.phase === 'waiting') {
    return { state: { ...state, phase: 'loading', pending: false, wakeAtMilliseconds: null }, commands: [{ kind: 'load' }] };
  }
  return unchanged({ ...state, pending: true });
}

function roundOver(state: AutoRechargeMachineState): AutoRechargeTransition {
  const finished = { ...state, attempt: null, pollDelayMilliseconds: firstChargePollMilliseconds };
  if (state.wakeAtMilliseconds !== null) return unchanged({ ...finished, phase: 'waiting' });
  if (state.pending) return { state: { ...finished, phase: 'loading', pending: false }, commands: [{ kind: 'load' }] };
  return unchanged({ ...finished, phase: 'idle' });
}

/** A skip the customer can see (last_attempt), then a wait until the rail allows the next round. */
function skip(state: AutoRechargeMachineState, reason: string, wakeAtMilliseconds: number | null): AutoRechargeTransition {
  return { state: { ...state, phase: 'recording', wakeAtMilliseconds, lastOutcome: 'skipped' }, commands: [{ kind: 'record_skip', reason }] };
}

function startOfNextUtcDay(nowMilliseconds: number): number {
  return (Math.floor(nowMilliseconds / dayMilliseconds) + 1) * dayMilliseconds;
}

function startOfNextUtcMonth(nowMilliseconds: number): number {
  const now = new Date(nowMilliseconds);
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
}

/** What one recharge charges: the fixed amount, or what brings the balance to the target. */
export function rechargeAmountMicros(settings: AutoRechargeSettingsSnapshot, balanceMicros: bigint): bigint {
  if (settings.amountMicros !== null) return BigInt(settings.amountMicros);
  return BigInt(settings.targetBalanceMicros!) - balanceMicros;
}

/** The rails, in order; a round that passes them all begins an attempt. */
function loaded(state: AutoRechargeMachineState, context: AutoRechargeContext, nowMilliseconds: number, attemptKey: string): AutoRechargeTransition {
  if (state.phase !== 'loading') return unchanged(state);
  const settings = context.settings;
  const base = { ...state, settings, consecutiveFailures: context.consecutiveFailures, wakeAtMilliseconds: null };
  if (settings === null || !settings.enabled || context.stopped) return unchanged({ ...base, phase: 'idle', pending: false });
  const balance = BigInt(context.balanceMicros);
  if (balance >= BigInt(settings.thresholdMicros)) return unchanged({ ...base, phase: 'idle', pending: false });
  if (state.wakeAtMilliseconds !== null && nowMilliseconds < state.wakeAtMilliseconds) {
    return unchanged({ ...base, phase: 'waiting', wakeAtMilliseconds: state.wakeAtMilliseconds });
  }
  const cooldownEnds = context.lastRechargeAtMilliseconds === null ? null : context.lastRechargeAtMilliseconds + settings.cooldownSeconds * 1000;
  if (cooldownEnds !== null && nowMilliseconds < cooldownEnds) return unchanged({ ...base, phase: 'waiting', wakeAtMilliseconds: cooldownEnds });
  if (context.rechargesToday >= settings.maximumPerDay) {
    return skip(base, `The daily maximum of ${settings.maximumPerDay} recharges was reached.`, startOfNextUtcDay(nowMilliseconds));
  }
  const amount = rechargeAmountMicros(settings, balance);
  if (BigInt(context.spentThisMonthMicros) + amount > BigInt(settings.monthlyLimitMicros)) {
    return skip(base, 'A recharge now would exceed the monthly limit.', startOfNextUtcMonth(nowMilliseconds));
  }
  const attempt: AutoRechargeAttempt = { attemptId: '', orderId: '', amountMicros: amount.toString(), settingsVersion: settings.version, paymentIntentId: null };
  return {
    state: { ...base, phase: 'beginning', pending: false, attempt },
    commands: [{ kind: 'begin_attempt', attemptKey, amountMicros: attempt.amountMicros, settingsVersion: settings.version }],
  };
}

function attemptBegun(state: AutoRechargeMachineState, attemptId: string, orderId: string): AutoRechargeTransition {
  if (state.phase !== 'beginning' || state.attempt === null) return unchanged(state);
  return { state: { ...state, phase: 'charging', attempt: { ...state.attempt, attemptId, orderId } }, commands: [{ kind: 'charge', attemptId }] };
}

/** The provider's answer to the off-session charge (or to a poll of it). */
function charged(state: AutoRechargeMachineState, result: OffSessionChargeResult, nowMilliseconds: number): AutoRechargeTransition {
  if ((state.phase !== 'charging' && state.phase !== 'awaiting_outcome') || state.attempt === null) return unchanged(state);
  const attempt = { ...state.attempt, paymentIntentId: result.paymentIntentId ?? state.attempt.paymentIntentId };
  const withAttempt = { ...state, attempt };
  switch (result.outcome) {
    case 'succeeded':
      return { state: { ...withAttempt, phase: 'crediting' }, commands: [{ kind: 'credit', attemptId: attempt.attemptId, paymentIntentId: result.paymentIntentId }] };
    case 'processing': {
      const delay = state.phase === 'awaiting_outcome' ? Math.min(state.pollDelayMilliseconds * 2, maximumChargePollMilliseconds) : state.pollDelayMilliseconds;
      return unchanged({ ...withAttempt, phase: 'awaiting_outcome', pollDelayMilliseconds: delay, wakeAtMilliseconds: nowMilliseconds + delay });
    }
    case 'declined':
      return declined(withAttempt, result.declineCode, nowMilliseconds);
    case 'authentication_required':
      return stop(withAttempt, 'authentication_required', null, 'paused', 'The bank asked the customer to authenticate the charge; a Checkout link for the same amount was emailed.', 'authentication_required');
  }
}

/** Hard declines disable at once; soft ones back off and pause after maximumConsecutiveSoftFailures. */
function declined(state: AutoRechargeMachineState, declineCode: string, nowMilliseconds: number): AutoRechargeTransition {
  if (isHardDecline(declineCode)) {
    return stop(state, 'declined', declineCode, 'disabled', `The card was declined (${declineCode}) and will not pass; choose another card.`, 'disabled');
  }
  const failures = state.consecutiveFailures + 1;
  if (failures >= maximumConsecutiveSoftFailures) {
    return stop(state, 'declined', declineCode, 'paused', `The card was declined ${failures} times in a row (last: ${declineCode}).`, 'paused');
  }
  const attempt = state.attempt!;
  const retryAt = nowMilliseconds + softDeclineBackoffMilliseconds[failures - 1]!;
  const commands: AutoRechargeCommand[] = [
    { kind: 'record_failure', attemptId: attempt.attemptId, outcome: 'declined', declineCode, consecutiveFailures: failures, stop: null },
  ];
  // The customer hears of the first failure, not of every retry.
  if (failures === 1) commands.push({ kind: 'email', email: 'first_failure', attemptId: attempt.attemptId, amountMicros: attempt.amountMicros, declineCode, reason: `The card was declined (${declineCode}); it is tried again later.` });
  return { state: { ...state, phase: 'recording', consecutiveFailures: failures, wakeAtMilliseconds: retryAt, lastOutcome: 'declined' }, commands };
}

/** Records the failure with its stop (for these settings' version) and tells the customer once. */
function stop(
  state: AutoRechargeMachineState,
  outcome: 'declined' | 'authentication_required' | 'failed',
  declineCode: string | null,
  stopState: StopState,
  reason: string,
  email: EmailKind,
): AutoRechargeTransition {
  const attempt = state.attempt!;
  const failures = state.consecutiveFailures + 1;
  return {
    state: { ...state, phase: 'recording', consecutiveFailures: failures, wakeAtMilliseconds: null, pending: false, lastOutcome: stopState },
    commands: [
      { kind: 'record_failure', attemptId: attempt.attemptId, outcome, declineCode, consecutiveFailures: failures, stop: { state: stopState, reason } },
      { kind: 'email', email, attemptId: attempt.attemptId, amountMicros: attempt.amountMicros, declineCode, reason },
    ],
  };
}

/** A payment intent event of the attempt in flight: applied once, and only to the intent it names. */
function intentEvent(state: AutoRechargeMachineState, event: PaymentIntentEvent, nowMilliseconds: number): AutoRechargeTransition {
  if (state.appliedEventIds.includes(event.eventId)) return unchanged(state);
  const recorded = { ...state, appliedEventIds: [...state.appliedEventIds, event.eventId].slice(-maximumRememberedEventIds) };
  if (state.phase !== 'awaiting_outcome' || state.attempt?.paymentIntentId !== event.paymentIntentId) return unchanged(recorded);
  const result: OffSessionChargeResult =
    event.outcome === 'succeeded'
      ? { outcome: 'succeeded', paymentIntentId: event.paymentIntentId }
      : event.outcome === 'requires_action'
        ? { outcome: 'authentication_required', paymentIntentId: event.paymentIntentId }
        : { outcome: 'declined', paymentIntentId: event.paymentIntentId, declineCode: event.declineCode ?? 'generic_decline' };
  return charged(recorded, result, nowMilliseconds);
}

/** Enough to recognise redeliveries of one attempt's events; older ones name intents no longer in flight. */
const maximumRememberedEventIds = 50;

function timerFired(state: AutoRechargeMachineState, nowMilliseconds: number): AutoRechargeTransition {
  if (state.wakeAtMilliseconds === null || nowMilliseconds < state.wakeAtMilliseconds) return unchanged(state);
  if (state.phase === 'awaiting_outcome' && state.attempt?.paymentIntentId !== null && state.attempt !== null) {
    return { state: { ...state, wakeAtMilliseconds: null }, commands: [{ kind: 'poll', attemptId: state.attempt.attemptId, paymentIntentId: state.attempt.paymentIntentId! }] };
  }
  if (state.phase !== 'waiting') return unchanged(state);
  return { state: { ...state, phase: 'loading', pending: false, wakeAtMilliseconds: null }, commands: [{ kind: 'load' }] };
}
