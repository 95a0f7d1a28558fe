// The rules of one refund, as a pure state machine: an event and the current state in, the next state
// and the commands to carry out out. No Temporal import, no clock (time arrives in events), no I/O;
// workflows/refund.ts is the thin shell that feeds it and runs its commands.
//
// The refund is a saga. A customer's request waits for ops unless the policy approved it. Then the
// credit is taken back first (one ledger transfer keyed by the refund), so it cannot be spent while the
// money is on its way back; then the provider is asked to refund (or, for a bank transfer, ops pay out
// and confirm), and the machine waits for the outcome. A refusal or failure gives the credit back with
// one compensating transfer, in the transaction that marks the refund failed, so a refund is never both
// paid back and re-credited. Success issues the credit note. A refund made at the provider's dashboard
// only takes its credit back (down to the balance, the rest as debt) and issues its credit note.
import type { RefundPaymentResult } from '../activities/payments/provider.ts';
import type { ConfirmPayoutRequest, ProviderRefundOutcome, RefundDecisionRequest, RefundSnapshot, RefundWorkflowInput } from '../domain/refunds.ts';

/** The first poll of a refund the provider has not finished, then doubling up to the maximum. */
export const firstPollDelayMilliseconds = 60_000;
export const maximumPollDelayMilliseconds = 6 * 3_600_000;
/** Card refunds settle within days; past this, a person looks at the refund at the provider. */
export const providerOutcomeDeadlineMilliseconds = 14 * 86_400_000;

export type RefundPhase =
  | 'awaiting_decision'
  | 'taking_credit'
  | 'refunding'
  | 'awaiting_provider'
  | 'awaiting_payout'
  | 'restoring_credit'
  | 'paperwork'
  | 'closed';

export interface RefundState {
  refund: RefundSnapshot;
  phase: RefundPhase;
  /** Provider events already applied: a redelivery changes nothing. */
  appliedEventIds: string[];
  /** When the wait for the provider or for ops' payout began. */
  waitStartedMilliseconds: number | null;
  nextPollMilliseconds: number | null;
  pollDelayMilliseconds: number;
  reminderSent: boolean;
  payoutDeadlineMilliseconds: number;
  payoutReminderMilliseconds: number;
  /** Why a person must look (RefillNeedsReview): the provider never reported an outcome. */
  attention: string | null;
}

export type RefundEvent =
  | { type: 'decided'; request: RefundDecisionRequest; nowMilliseconds: number }
  | { type: 'credit_taken'; transferId: string; debt: string; nowMilliseconds: number }
  | { type: 'credit_refused'; reason: string; nowMilliseconds: number }
  | { type: 'provider_answered'; result: RefundPaymentResult; nowMilliseconds: number }
  | { type: 'provider_refused'; reason: string; nowMilliseconds: number }
  | { type: 'provider_outcome'; outcome: ProviderRefundOutcome; nowMilliseconds: number }
  | { type: 'payout_confirmed'; request: ConfirmPayoutRequest; nowMilliseconds: number }
  | { type: 'reminder_sent' }
  | { type: 'credit_restored'; reversalTransferId: string | null }
  | { type: 'paperwork_done'; creditNoteNumber: string | null }
  | { type: 'timer_fired'; nowMilliseconds: number };

export type RefundCommand =
  | { kind: 'save' }
  /** Take the credit back and save `refund` with it, in one transaction. */
  | { kind: 'take_credit'; refund: RefundSnapshot }
  | { kind: 'refund_at_provider' }
  | { kind: 'poll_provider' }
  /** Give the credit back and save `failed`, in one transaction. */
  | { kind: 'restore_credit'; failed: RefundSnapshot }
  | { kind: 'notify_failure' }
  | { kind: 'remind_ops' }
  | { kind: 'credit_note' };

export interface RefundTransition {
  state: RefundState;
  commands: RefundCommand[];
}

const unchanged = (state: RefundState): RefundTransition => ({ state, commands: [] });
const withRefund = (state: RefundState, changes: Partial<RefundSnapshot>): RefundState => ({ ...state, refund: { ...state.refund, ...changes } });
const isoAt = (milliseconds: number) => new Date(milliseconds).toISOString();

/** The refund as its row was inserted, and what it does first. */
export function startRefund(input: RefundWorkflowInput, nowMilliseconds: number): RefundTransition {
  const state: RefundState = {
    refund: input.refund,
    phase: 'awaiting_decision',
    appliedEventIds: [],
    waitStartedMilliseconds: null,
    nextPollMilliseconds: null,
    pollDelayMilliseconds: firstPollDelayMilliseconds,
    reminderSent: false,
    payoutDeadlineMilliseconds: input.payoutDeadlineMilliseconds,
    payoutReminderMilliseconds: input.payoutReminderMilliseconds,
    attention: null,
  };
  if (input.refund.requestedBy === 'provider') {
    const succeeded = { ...input.refund, status: 'succeeded' as const, succeededAt: isoAt(nowMilliseconds) };
    return { state: { ...state, refund: succeeded, phase: 'taking_credit' }, commands: [{ kind: 'take_credit', refund: succeeded }] };
  }
  if (input.refund.status === 'approved') return beginProcessing(state);
  return unchanged(state);
}

/** Whether the machine is waiting for the world (ops, the provider, a timer), so an inbox event may be applied. */
export function isWaiting(state: RefundState): boolean {
  return state.phase === 'awaiting_decision' || state.phase === 'awaiting_provider' || state.phase === 'awaiting_payout';
}

/** When the machine wants a timer_fired event, or null for never. */
export function refundWakeAtMilliseconds(state: RefundState): number | null {
  const started = state.waitStartedMilliseconds;
  if (started === null) return null;
  if (state.phase === 'awaiting_provider') return Math.min(state.nextPollMilliseconds!, started + providerOutcomeDeadlineMilliseconds);
  if (state.phase !== 'awaiting_payout') return null;
  const deadline = started + state.payoutDeadlineMilliseconds;
  return state.reminderSent ? deadline : Math.min(started + state.payoutReminderMilliseconds, deadline);
}

/** The one transition function: every change to a refund goes through here. */
export function decideRefund(state: RefundState, event: RefundEvent): RefundTransition {
  switch (event.type) {
    case 'decided':
      return decided(state, event.request, event.nowMilliseconds);
    case 'credit_taken':
      return creditTaken(withRefund(state, { transferId: event.transferId, debt: event.debt }), event.nowMilliseconds);
    case 'credit_refused':
      return creditRefused(state, event.reason);
    case 'provider_answered':
      return providerSaid(withRefund(state, { providerRefundId: event.result.refundId }), event.result.status, event.result.failureReason ?? null, event.nowMilliseconds);
    case 'provider_refused':
      return compensate(state, `The payment provider refused the refund: ${event.reason}`);
    case 'provider_outcome':
      return providerOutcome(state, event.outcome, event.nowMilliseconds);
    case 'payout_confirmed':
      if (state.phase !== 'awaiting_payout') return unchanged(state);
      return succeed(withRefund(state, { bankReference: event.request.bankReference }), event.nowMilliseconds);
    case 'reminder_sent':
      return unchanged({ ...state, reminderSent: true });
    case 'credit_restored':
      return { state: { ...withRefund(state, { reversalTransferId: event.reversalTransferId }), phase: 'closed' }, commands: [{ kind: 'notify_failure' }] };
    case 'paperwork_done':
      return unchanged({ ...withRefund(state, { creditNoteNumber: event.creditNoteNumber }), phase: 'closed' });
    case 'timer_fired':
      return timerFired(state, event.nowMilliseconds);
  }
}

function decided(state: RefundState, request: RefundDecisionRequest, nowMilliseconds: number): RefundTransition {
  if (state.phase !== 'awaiting_decision') return unchanged(state);
  const decision = { decidedBy: request.actor, decisionReason: request.reason, decidedAt: isoAt(nowMilliseconds) };
  if (request.decision === 'approve') return beginProcessing(withRefund(state, { ...decision, status: 'approved' }));
  return { state: { ...withRefund(state, { ...decision, status: 'rejected' }), phase: 'closed' }, commands: [{ kind: 'save' }] };
}

function beginProcessing(state: RefundState): RefundTransition {
  const processing = withRefund(state, { status: 'processing' });
  return { state: { ...processing, phase: 'taking_credit' }, commands: [{ kind: 'take_credit', refund: processing.refund }] };
}

function creditTaken(state: RefundState, nowMilliseconds: number): RefundTransition {
  if (state.refund.requestedBy === 'provider') {
    // Saved succeeded with the take-back; what is left is the credit note.
    return { state: { ...withRefund(state, { succeededAt: state.refund.succeededAt ?? isoAt(nowMilliseconds) }), phase: 'paperwork' }, commands: [{ kind: 'credit_note' }] };
  }
  const processing = withRefund(state, { status: 'processing' });
  if (state.refund.paymentMethod === 'bank_transfer') {
    return unchanged({ ...processing, phase: 'awaiting_payout', waitStartedMilliseconds: nowMilliseconds });
  }
  return { state: { ...processing, phase: 'refunding' }, commands: [{ kind: 'refund_at_provider' }] };
}

function creditRefused(state: RefundState, reason: string): RefundTransition {
  if (state.refund.requestedBy === 'provider') {
    const attention = `The credit of a refund made at the provider could not be taken back: ${reason}`;
    return { state: { ...withRefund(state, { status: 'processing', failureReason: attention }), phase: 'closed', attention }, commands: [{ kind: 'save' }] };
  }
  const failureReason = `The balance no longer covers the credit to take back, so nothing was refunded (${reason}).`;
  return { state: { ...withRefund(state, { status: 'failed', failureReason }), phase: 'closed' }, commands: [{ kind: 'save' }, { kind: 'notify_failure' }] };
}

/** What the provider says of the refund: final (succeeded, failed) or not yet (pending, requires_action). */
function providerSaid(state: RefundState, status: string, failureReason: string | null, nowMilliseconds: number): RefundTransition {
  if (status === 'succeeded') return succeed(state, nowMilliseconds);
  if (status === 'failed' || status === 'canceled') {
    return compensate(state, `The payment provider reports the refund ${status}${failureReason === null ? '' : `: ${failureReason}`}.`);
  }
  const waitStarted = state.waitStartedMilliseconds ?? nowMilliseconds;
  const delay = state.phase === 'awaiting_provider' ? Math.min(state.pollDelayMilliseconds * 2, maximumPollDelayMilliseconds) : state.pollDelayMilliseconds;
  const waiting = { ...state, phase: 'awaiting_provider' as const, waitStartedMilliseconds: waitStarted, pollDelayMilliseconds: delay, nextPollMilliseconds: nowMilliseconds + delay };
  return { state: waiting, commands: state.phase === 'refunding' ? [{ kind: 'save' }] : [] };
}

function providerOutcome(state: RefundState, outcome: ProviderRefundOutcome, nowMilliseconds: number): RefundTransition {
  if (outcome.eventId !== null && state.appliedEventIds.includes(outcome.eventId)) return unchanged(state);
  const recorded = outcome.eventId === null ? state : { ...state, appliedEventIds: [...state.appliedEventIds, outcome.eventId] };
  if (state.phase !== 'awaiting_provider' || outcome.providerRefundId !== state.refund.providerRefundId) return unchanged(recorded);
  if (outcome.status !== 'succeeded' && outcome.status !== 'failed' && outcome.status !== 'canceled') return unchanged(recorded);
  return providerSaid(recorded, outcome.status, outcome.failureReason, nowMilliseconds);
}

function timerFired(state: RefundState, nowMilliseconds: number): RefundTransition {
  const started = state.waitStartedMilliseconds;
  if (started === null) return unchanged(state);
  if (state.phase === 'awaiting_provider') {
    if (nowMilliseconds >= started + providerOutcomeDeadlineMilliseconds) {
      const attention = 'The payment provider reported no outcome of the refund before the deadline; check it at the provider.';
      return { state: { ...withRefund(state, { failureReason: attention }), phase: 'closed', attention }, commands: [{ kind: 'save' }] };
    }
    return nowMilliseconds >= state.nextPollMilliseconds! ? { state, commands: [{ kind: 'poll_provider' }] } : unchanged(state);
  }
  if (state.phase !== 'awaiting_payout') return unchanged(state);
  if (nowMilliseconds >= started + state.payoutDeadlineMilliseconds) {
    return compensate(state, 'Ops did not confirm the bank payout before the deadline, so the credit was given back.');
  }
  if (!state.reminderSent && nowMilliseconds >= started + state.payoutReminderMilliseconds) return { state, commands: [{ kind: 'remind_ops' }] };
  return unchanged(state);
}

function succeed(state: RefundState, nowMilliseconds: number): RefundTransition {
  const succeeded = withRefund(state, { status: 'succeeded', succeededAt: isoAt(nowMilliseconds), failureReason: null });
  return { state: { ...succeeded, phase: 'paperwork' }, commands: [{ kind: 'save' }, { kind: 'credit_note' }] };
}

/** Gives the credit back and fails the refund: one transaction, so never both refunded and re-credited. */
function compensate(state: RefundState, failureReason: string): RefundTransition {
  const failed = withRefund(state, { status: 'failed', failureReason });
  return { state: { ...failed, phase: 'restoring_credit' }, commands: [{ kind: 'restore_credit', failed: failed.refund }] };
}

/** Whether ops may decide now; the same decision again is a repeat, another one is refused (null: allowed). */
export function decisionRefusal(state: RefundState, pending: RefundDecisionRequest | null, request: RefundDecisionRequest): string | null {
  const taken = pending ?? (state.refund.decidedAt === null ? null : { decision: state.refund.status === 'rejected' ? 'reject' : 'approve', reason: state.refund.decisionReason ?? '' });
  if (taken === null) return state.phase === 'awaiting_decision' ? null : `The refund is ${state.refund.status}.`;
  if (taken.decision === request.decision && taken.reason === request.reason) return null;
  return `The refund was already decided: ${taken.decision}.`;
}

/** Whether ops may confirm the payout now (null: allowed); the same bank reference again is a repeat. */
export function payoutRefusal(state: RefundState, pending: ConfirmPayoutRequest | null, request: ConfirmPayoutRequest): string | null {
  const confirmed = pending?.bankReference ?? state.refund.bankReference;
  if (confirmed !== null) return confirmed === request.bankReference ? null : 'The payout was already confirmed with another bank reference.';
  if (state.refund.paymentMethod !== 'bank_transfer') return 'Only a refund of a bank transfer order is paid out by ops.';
  // While the credit is being taken back the confirmation waits in the inbox: the payout may be that quick.
  if (state.phase === 'awaiting_payout' || state.phase === 'taking_credit') return null;
  return `The refund is ${state.refund.status}${state.phase === 'awaiting_decision' ? ' and not approved yet' : ''}.`;
}
