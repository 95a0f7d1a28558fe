// One refund (refund-<refund id>): the thin Temporal shell around workflows/refund-state.ts. It registers
// the handlers (ops' decision, ops' payout confirmation, the provider's events), turns them and timers
// into the machine's events, and runs the machine's commands as activities. It owns the refund's row.
// Deterministic orchestration only.
import { ActivityFailure, allHandlersFinished, condition, isCancellation, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.ts';
import { failure } from '../domain/failures.ts';
import {
  confirmPayoutUpdate,
  decideRefundUpdate,
  providerRefundSignal,
  refundStateQuery,
  type ConfirmPayoutRequest,
  type RefundDecisionRequest,
  type RefundSnapshot,
  type RefundWorkflowInput,
} from '../domain/refunds.ts';
import { needsReviewKey, refundStatusKey } from '../domain/search-attributes.ts';
import { database, invoiceEmailPolicy, invoiceIssuePolicy, mail, provider } from './activity-options.ts';
import {
  decideRefund,
  decisionRefusal,
  isWaiting,
  payoutRefusal,
  refundWakeAtMilliseconds,
  startRefund,
  type RefundCommand,
  type RefundEvent,
  type RefundState,
} from './refund-state.ts';

const rowWritingCommands: RefundCommand['kind'][] = ['save', 'take_credit', 'restore_credit'];
const creditNoteIssue = proxyActivities<OrderActivities>(invoiceIssuePolicy);
const creditNoteMail = proxyActivities<OrderActivities>(invoiceEmailPolicy);

/** Runs one refund from its request (or its approval) to succeeded, failed or rejected. */
export async function refundWorkflow(input: RefundWorkflowInput): Promise<RefundSnapshot> {
  const start = startRefund(input, Date.now());
  let state = start.state;
  const inbox: RefundEvent[] = [];
  let pendingDecision: RefundDecisionRequest | null = null;
  let pendingPayout: ConfirmPayoutRequest | null = null;
  let idle = false;
  /** Writes of the refund's row so far: an update answers once its change is written. */
  let writes = 0;

  setHandler(refundStateQuery, () => state.refund);
  setHandler(providerRefundSignal, (outcome) => void inbox.push({ type: 'provider_outcome', outcome, nowMilliseconds: Date.now() }));
  setHandler(
    decideRefundUpdate,
    async (request) => {
      if (pendingDecision === null && state.refund.decidedAt === null) {
        pendingDecision = request;
        inbox.push({ type: 'decided', request, nowMilliseconds: Date.now() });
      }
      const before = writes;
      await condition(() => (state.refund.decidedAt !== null && (writes > before || idle)) || (state.phase === 'closed' && idle));
      return state.refund;
    },
    { validator: (request) => refuseWith('refund_already_decided', decisionRefusal(state, pendingDecision, request)) },
  );
  setHandler(
    confirmPayoutUpdate,
    async (request) => {
      if (pendingPayout === null && state.refund.bankReference === null) {
        pendingPayout = request;
        inbox.push({ type: 'payout_confirmed', request, nowMilliseconds: Date.now() });
      }
      const before = writes;
      await condition(() => (state.refund.bankReference !== null && (writes > before || idle)) || (state.phase === 'closed' && idle));
      return state.refund;
    },
    { validator: (request) => refuseWith('refund_not_awaiting_payout', payoutRefusal(state, pendingPayout, request)) },
  );

  const commands = [...start.commands];
  let lastStatus: string | null = null;
  for (;;) {
    idle = false;
    for (let command = commands.shift(); command !== undefined; command = commands.shift()) {
      const event = await runCommand(command, state);
      if (rowWritingCommands.includes(command.kind) && (command.kind !== 'take_credit' || event?.type === 'credit_taken')) writes += 1;
      if (event === null) continue;
      const next = decideRefund(state, event);
      state = next.state;
      commands.push(...next.commands);
    }
    lastStatus = indexState(state, lastStatus);
    if (state.phase === 'closed') {
      // An update waiting for this last write answers before the run completes.
      idle = true;
      await condition(allHandlersFinished);
      return state.refund;
    }
    idle = true;
    const event = await nextEvent(state, inbox);
    const next = decideRefund(state, event);
    state = next.state;
    commands.push(...next.commands);
  }
}

function refuseWith(type: 'refund_already_decided' | 'refund_not_awaiting_payout', refusal: string | null): void {
  if (refusal !== null) throw failure(type, refusal);
}

/** The next event from the inbox while the machine waits, or the timer it asked for. */
async function nextEvent(state: RefundState, inbox: RefundEvent[]): Promise<RefundEvent> {
  const wakeAt = refundWakeAtMilliseconds(state);
  const arrived = await (wakeAt === null
    ? condition(() => inbox.length > 0 && isWaiting(state)).then(() => true)
    : condition(() => inbox.length > 0, Math.max(wakeAt - Date.now(), 1)));
  return arrived ? inbox.shift()! : { type: 'timer_fired', nowMilliseconds: Date.now() };
}

/** Keeps the search attributes (an index for ops, never a second truth) in step with the refund. */
function indexState(state: RefundState, lastStatus: string | null): string {
  const status = state.refund.status;
  if (status !== lastStatus || state.attention !== null) {
    upsertSearchAttributes([
      { key: refundStatusKey, value: status },
      { key: needsReviewKey, value: state.attention !== null || status === 'requested' },
    ]);
  }
  return status;
}

/** The message of an activity's final failure: what the refund records as its reason. */
async function reasonOfFailure<Result>(call: () => Promise<Result>): Promise<{ ok: true; value: Result } | { ok: false; reason: string }> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    if (!(error instanceof ActivityFailure) || isCancellation(error)) throw error;
    return { ok: false, reason: error.cause?.message ?? error.message };
  }
}

/** Carries out one command; returns what it reports back to the machine. */
async function runCommand(command: RefundCommand, state: RefundState): Promise<RefundEvent | null> {
  const refund = state.refund;
  switch (command.kind) {
    case 'save':
      await database.saveRefund(refund);
      return null;
    case 'take_credit': {
      const taken = await reasonOfFailure(() => database.takeRefundCredit(command.refund));
      const nowMilliseconds = Date.now();
      return taken.ok ? { type: 'credit_taken', ...taken.value, nowMilliseconds } : { type: 'credit_refused', reason: taken.reason, nowMilliseconds };
    }
    case 'refund_at_provider': {
      const answered = await reasonOfFailure(() => provider.refundAtProvider(refund));
      const nowMilliseconds = Date.now();
      return answered.ok ? { type: 'provider_answered', result: answered.value, nowMilliseconds } : { type: 'provider_refused', reason: answered.reason, nowMilliseconds };
    }
    case 'poll_provider':
      return { type: 'provider_answered', result: await provider.retrieveProviderRefund(refund), nowMilliseconds: Date.now() };
    case 'restore_credit':
      return { type: 'credit_restored', reversalTransferId: await database.restoreRefundCredit(command.failed) };
    case 'notify_failure':
      await reasonOfFailure(() => mail.sendRefundFailedEmail(refund));
      return null;
    case 'remind_ops':
      await reasonOfFailure(() => mail.remindOpsOfPayout(refund));
      return { type: 'reminder_sent' };
    case 'credit_note':
      return { type: 'paperwork_done', creditNoteNumber: await creditNote(refund) };
  }
}

/** Issues the credit note and emails it; neither can undo the refund, so a final failure leaves it for a person. */
async function creditNote(refund: RefundSnapshot): Promise<string | null> {
  const issued = await reasonOfFailure(() => creditNoteIssue.issueCreditNote({ refundId: refund.refundId }));
  if (!issued.ok) {
    upsertSearchAttributes([{ key: needsReviewKey, value: true }]);
    return null;
  }
  const sent = await reasonOfFailure(() => creditNoteMail.sendCreditNoteEmail({ refundId: refund.refundId }));
  if (!sent.ok) {
    await creditNoteIssue.recordCreditNoteEmailFailed({ refundId: refund.refundId, reason: sent.reason });
    upsertSearchAttributes([{ key: needsReviewKey, value: true }]);
  }
  return issued.value.creditNoteNumber;
}
