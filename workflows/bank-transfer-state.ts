// The rules of a bank transfer order, as a pure state machine (events in, state and commands out; no
// Temporal import, no clock, no I/O). workflows/bank-transfer-order.ts is its thin shell.
//
// The customer transfers the pay amount with the order's reference in the note; ops find the transfer on
// the bank statement, start a review, and confirm it (credit) or reject it (failed). While pending, the
// order is reminded on the morning of its last business day and expires at that day's end; the customer
// may cancel it. Once ops start the review it no longer expires (the money may be there) and the
// customer can no longer cancel it. Every ops action is judged by judgeOpsAction, the rule the API also
// applies once this workflow has finished.
import {
  customerActor,
  judgeOpsAction,
  type BankTransferOrderInput,
  type OpsRequest,
  type OpsVerdict,
  type ReviewDecision,
  type StartReviewRequest,
} from '../domain/bank-transfers.ts';
import type { BankTransferSchedule } from '../domain/business-days.ts';
import type { OrderRefusal } from '../domain/orders.ts';
import {
  credited,
  flagWriteFailure,
  holdForReview,
  newOrderSnapshot,
  succeededOrder,
  unchanged,
  withOrder,
  type CreditCommand,
  type OrderCommand,
  type OrderMachineState,
  type TimerFired,
  type Transition,
} from './order-machine.ts';

/** A review ops have started but not finished in this time is flagged for a person; it keeps waiting. */
export const reviewDeadlineMilliseconds = 14 * 24 * 60 * 60 * 1000;

export type BankTransferPhase = 'recording' | 'pending' | 'in_review' | 'crediting' | 'paperwork' | 'closed';

export interface BankTransferState extends OrderMachineState {
  phase: BankTransferPhase;
  schedule: BankTransferSchedule;
  reminded: boolean;
  reviewStartedAtMilliseconds: number | null;
  reviewOverdue: boolean;
  /** Ops' confirmation or rejection, once accepted. */
  decision: ReviewDecision | null;
  /**
   * Whether the customer is emailed the bank details and reference once the order is recorded. The
   * shell decides it once, with patched('bank-transfer-instructions-email'): runs started before it
   * send no such email, as they did when they were recorded. Absent is false.
   */
  instructionsEmail?: boolean;
}

export type BankTransferEvent =
  | { type: 'recorded'; refusal: OrderRefusal | null; reference: string | null }
  | { type: 'cancel_requested'; nowMilliseconds: number }
  | { type: 'review_started'; request: StartReviewRequest; nowMilliseconds: number }
  | { type: 'decision_taken'; request: ReviewDecision; nowMilliseconds: number }
  | { type: 'credited'; command: CreditCommand; creditedAt: string; balanceAfter: string }
  | { type: 'credit_failed'; reason: string }
  | { type: 'paperwork_done'; invoiceNumber: string | null }
  /** A save or an ops action record failed through its retries, or for good. */
  | { type: 'write_failed'; reason: string }
  | TimerFired;

export type BankTransferCommand =
  | OrderCommand
  | { kind: 'record' }
  | { kind: 'send_email'; email: BankTransferEmail };

/** The customer's emails: the instructions once recorded, the reminder on the last day, the rejection. */
export type BankTransferEmail = 'instructions' | 'reminder' | 'rejection';

type BankTransition = Transition<BankTransferState, BankTransferCommand>;

/** The order before anything happened, with its deadline, and the command that starts it: record it. */
export function startBankTransfer(input: BankTransferOrderInput, schedule: BankTransferSchedule): BankTransition {
  const order = newOrderSnapshot({ ...input, expiresAt: new Date(schedule.expiresAtMilliseconds).toISOString() });
  // The reference is drawn when the order is recorded.
  order.bankTransfer = {
    bankName: input.payee.bankName,
    accountName: input.payee.accountName,
    accountNumber: input.payee.accountNumber,
    reference: '',
    remitterName: input.remitter.name,
    remitterBankName: input.remitter.bankName,
    remarks: input.remitter.remarks,
  };
  const state: BankTransferState = {
    order,
    refusal: null,
    recorded: false,
    finished: false,
    phase: 'recording',
    schedule,
    reminded: false,
    reviewStartedAtMilliseconds: null,
    reviewOverdue: false,
    decision: null,
  };
  return { state, commands: [{ kind: 'record' }] };
}

/** Whether the machine is waiting for the world (the customer, ops or a timer). */
export function isBankTransferWaiting(state: BankTransferState): boolean {
  return state.phase === 'pending' || state.phase === 'in_review' || state.finished;
}

/** When the machine wants a timer_fired event, or null for never. */
export function bankTransferWakeAtMilliseconds(state: BankTransferState): number | null {
  if (state.phase === 'pending') return state.reminded ? state.schedule.expiresAtMilliseconds : state.schedule.remindAtMilliseconds;
  if (state.phase === 'in_review' && !state.reviewOverdue) return state.reviewStartedAtMilliseconds! + reviewDeadlineMilliseconds;
  return null;
}

/** The ops rule applied to this state: apply, repeat, or refuse. */
export function judgeBankTransfer(state: BankTransferState, request: OpsRequest): OpsVerdict {
  return judgeOpsAction({ status: state.order.status, payAmount: state.order.terms.payAmount, currency: state.order.terms.currency, decision: state.decision }, request);
}

/** The one transition function: every change to a bank transfer order's state goes through here. */
export function decideBankTransfer(state: BankTransferState, event: BankTransferEvent): BankTransition {
  switch (event.type) {
    case 'recorded':
      return recorded(state, event.refusal, event.reference);
    case 'cancel_requested':
      if (state.phase !== 'pending') return unchanged(state);
      return closeWith(state, 'cancelled', null, action('cancel', customerActor, null, {}, event.nowMilliseconds));
    case 'review_started':
      if (state.phase !== 'pending' || judgeBankTransfer(state, event.request).kind !== 'apply') return unchanged(state);
      return {
        state: { ...withOrder(state, { status: 'processing' }), phase: 'in_review', reviewStartedAtMilliseconds: event.nowMilliseconds },
        commands: [action('start_review', event.request.actor, null, {}, event.nowMilliseconds), { kind: 'save' }],
      };
    case 'decision_taken':
      if (state.phase !== 'in_review' || judgeBankTransfer(state, event.request).kind !== 'apply') return unchanged(state);
      return event.request.action === 'confirm_transfer' ? confirm(state, event.request, event.nowMilliseconds) : reject(state, event.request, event.nowMilliseconds);
    case 'timer_fired':
      return timerFired(state, event.nowMilliseconds);
    case 'credited':
      return {
        state: { ...credited(state, event.command, event.creditedAt), phase: 'paperwork' },
        commands: [{ kind: 'paperwork', balanceAfter: event.balanceAfter }],
      };
    case 'credit_failed':
      return { state: { ...holdForReview(state, `the credit failed: ${event.reason}`), phase: 'in_review', reviewOverdue: true }, commands: [{ kind: 'save' }] };
    case 'paperwork_done':
      return unchanged({ ...withOrder(state, { invoiceNumber: event.invoiceNumber }), phase: 'closed', finished: true });
    case 'write_failed':
      return unchanged(flagWriteFailure(state, event.reason));
  }
}

function recorded(state: BankTransferState, refusal: OrderRefusal | null, reference: string | null): BankTransition {
  if (refusal !== null || reference === null) return unchanged({ ...state, refusal, phase: 'closed', finished: true });
  const next: BankTransferState = { ...withOrder(state, { bankTransfer: { ...state.order.bankTransfer!, reference } }), recorded: true, phase: 'pending' };
  return { state: next, commands: state.instructionsEmail === true ? [{ kind: 'send_email', email: 'instructions' }] : [] };
}

function action(
  kind: 'cancel' | 'start_review' | 'confirm_transfer' | 'reject_transfer',
  actor: string,
  reason: string | null,
  payload: Record<string, string | null>,
  nowMilliseconds: number,
): BankTransferCommand {
  return { kind: 'record_action', action: { action: kind, actor, reason, payload, occurredAt: new Date(nowMilliseconds).toISOString() } };
}

function closeWith(state: BankTransferState, status: 'cancelled' | 'expired' | 'failed', failureReason: string | null, ...first: BankTransferCommand[]): BankTransition {
  const closed = withOrder(state, { status, ...(failureReason === null ? {} : { failureReason }) });
  return { state: { ...closed, phase: 'closed', finished: true }, commands: [...first, { kind: 'save' }] };
}

function timerFired(state: BankTransferState, nowMilliseconds: number): BankTransition {
  const { schedule } = state;
  if (state.phase === 'pending' && !state.reminded && nowMilliseconds >= schedule.remindAtMilliseconds) {
    // A worker that was down past the deadline does not remind an order it is about to expire.
    const remind = nowMilliseconds < schedule.expiresAtMilliseconds;
    return { state: { ...state, reminded: true }, commands: remind ? [{ kind: 'send_email', email: 'reminder' }] : [] };
  }
  if (state.phase === 'pending' && nowMilliseconds >= schedule.expiresAtMilliseconds) return closeWith(state, 'expired', null);
  if (state.phase === 'in_review' && !state.reviewOverdue && nowMilliseconds >= bankTransferWakeAtMilliseconds(state)!) {
    const flagged = withOrder(state, { needsReview: true, reviewReason: 'the review of the bank transfer was not finished in time' });
    return { state: { ...flagged, reviewOverdue: true }, commands: [{ kind: 'save' }] };
  }
  return unchanged(state);
}

function confirm(state: BankTransferState, request: Extract<ReviewDecision, { action: 'confirm_transfer' }>, nowMilliseconds: number): BankTransition {
  const occurredAt = new Date(nowMilliseconds).toISOString();
  const record = action(
    'confirm_transfer',
    request.actor,
    request.reason,
    { amount_received: request.amountReceived, bank_reference: request.bankReference, corrected_credit: request.correctedCredit },
    nowMilliseconds,
  );
  const paid = withOrder(state, { paidAt: occurredAt, providerPaymentId: request.bankReference, needsReview: false, reviewReason: null });
  const correction =
    request.correctedCredit === null
      ? null
      : { amountReceived: request.amountReceived, correctedCredit: request.correctedCredit, reason: request.reason ?? '' };
  const credit: CreditCommand = { kind: 'credit', succeeded: succeededOrder(paid.order), correction };
  return { state: { ...paid, decision: request, phase: 'crediting' }, commands: [record, credit] };
}

function reject(state: BankTransferState, request: Extract<ReviewDecision, { action: 'reject_transfer' }>, nowMilliseconds: number): BankTransition {
  const decided = { ...withOrder(state, { needsReview: false, reviewReason: null }), decision: request };
  const closed = closeWith(decided, 'failed', request.reason, action('reject_transfer', request.actor, request.reason, {}, nowMilliseconds));
  return { ...closed, commands: [...closed.commands, { kind: 'send_email', email: 'rejection' }] };
}

/** Whether the customer may still cancel: pending, and no review started or asked for. */
export function canCancelBankTransfer(state: BankTransferState): boolean {
  return state.phase === 'pending' || state.phase === 'recording';
}

/** Whether the customer may still pay: pending and before the deadline. */
export function canResumeBankTransfer(state: BankTransferState, nowMilliseconds: number): boolean {
  return (state.phase === 'pending' || state.phase === 'recording') && nowMilliseconds < state.schedule.expiresAtMilliseconds;
}
