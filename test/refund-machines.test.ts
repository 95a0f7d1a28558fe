// The rules of refunds and disputes as plain functions: the refund saga's state machine, the dispute's,
// the credit a refund takes back, and the refund policy. No Temporal, no database: each test feeds
// events and reads the state and commands that come out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { creditRemovedFor, isAutoApproved, isWithinRefundWindow, largestCoveredAmount, type RefundSnapshot, type RefundWorkflowInput } from '../domain/refunds.ts';
import { decideDispute, startDispute, type DisputeMachineEvent, type DisputeState } from '../workflows/dispute-state.ts';
import {
  decideRefund,
  decisionRefusal,
  payoutRefusal,
  providerOutcomeDeadlineMilliseconds,
  refundWakeAtMilliseconds,
  startRefund,
  type RefundEvent,
  type RefundState,
} from '../workflows/refund-state.ts';

const hour = 3_600_000;
const day = 24 * hour;

function refund(changes: Partial<RefundSnapshot> = {}): RefundSnapshot {
  return {
    refundId: 'rfd_000000000000000000000001',
    orderId: 'ord_000000000000000000000001',
    accountId: 'acct_000000000000000000000001',
    customerEmail: 'customer@example.com',
    paymentMethod: 'stripe',
    providerPaymentId: 'pi_1',
    requestedBy: 'customer',
    status: 'requested',
    currency: 'USD',
    amount: '10.000000',
    creditRemoved: '10.500000',
    reason: 'wrong amount',
    decidedBy: null,
    decisionReason: null,
    decidedAt: null,
    providerRefundId: null,
    bankReference: null,
    transferId: null,
    reversalTransferId: null,
    debt: '0.000000',
    failureReason: null,
    succeededAt: null,
    creditNoteNumber: null,
    ...changes,
  };
}

function input(changes: Partial<RefundSnapshot> = {}): RefundWorkflowInput {
  return { refund: refund(changes), payoutDeadlineMilliseconds: 14 * day, payoutReminderMilliseconds: 3 * day };
}

/** Applies the events one after another; returns the final state and every command, in order. */
function run(state: RefundState, events: RefundEvent[]) {
  const commands: string[] = [];
  for (const event of events) {
    const next = decideRefund(state, event);
    state = next.state;
    commands.push(...next.commands.map((command) => command.kind));
  }
  return { state, commands };
}

const approve = { type: 'decided', request: { decision: 'approve', reason: 'ok', actor: 'ops-alice' }, nowMilliseconds: 1_000 } as const;
const taken = { type: 'credit_taken', transferId: '7', debt: '0.000000', nowMilliseconds: 2_000 } as const;

describe('the refund saga', () => {
  test('a request waits for ops; approval takes the credit back first, then asks the provider, then issues the credit note', () => {
    const start = startRefund(input(), 0);
    assert.equal(start.state.phase, 'awaiting_decision');
    assert.deepEqual(start.commands, []);
    const approved = decideRefund(start.state, approve);
    assert.deepEqual(approved.commands.map((command) => command.kind), ['take_credit']);
    assert.equal(approved.state.refund.status, 'processing');
    assert.equal(approved.state.refund.decidedBy, 'ops-alice');
    const { state, commands } = run(approved.state, [taken, { type: 'provider_answered', result: { refundId: 're_1', status: 'succeeded' }, nowMilliseconds: 3_000 }]);
    assert.deepEqual(commands, ['refund_at_provider', 'save', 'credit_note']);
    assert.equal(state.refund.status, 'succeeded');
    assert.equal(state.refund.providerRefundId, 're_1');
    assert.equal(state.refund.transferId, '7');
    assert.equal(decideRefund(state, { type: 'paperwork_done', creditNoteNumber: 'CN-2026-000001' }).state.phase, 'closed');
  });

  test('a rejection closes the refund with nothing taken', () => {
    const rejected = decideRefund(startRefund(input(), 0).state, { ...approve, request: { ...approve.request, decision: 'reject' } });
    assert.equal(rejected.state.refund.status, 'rejected');
    assert.equal(rejected.state.phase, 'closed');
    assert.deepEqual(rejected.commands.map((command) => command.kind), ['save']);
  });

  test('a provider refusal gives the credit back once, in the step that fails the refund, and tells the customer', () => {
    const processing = run(startRefund(input({ status: 'approved' }), 0).state, [taken]).state;
    const refused = decideRefund(processing, { type: 'provider_refused', reason: 'charge already refunded', nowMilliseconds: 3_000 });
    assert.equal(refused.commands.length, 1);
    const [command] = refused.commands;
    assert.ok(command?.kind === 'restore_credit');
    assert.equal(command.failed.status, 'failed');
    assert.match(command.failed.failureReason ?? '', /charge already refunded/);
    const { state, commands } = run(refused.state, [{ type: 'credit_restored', reversalTransferId: '8' }]);
    assert.deepEqual(commands, ['notify_failure']);
    assert.equal(state.phase, 'closed');
    assert.equal(state.refund.reversalTransferId, '8');
    // Nothing later can make it succeed as well: a late success event is for a closed refund.
    assert.deepEqual(decideRefund(state, { type: 'provider_outcome', outcome: { eventId: 'evt_1', providerRefundId: 're_1', status: 'succeeded', failureReason: null }, nowMilliseconds: 4_000 }).commands, []);
  });

  test('a balance that no longer covers the credit fails the refund without asking the provider', () => {
    const { state, commands } = run(startRefund(input({ status: 'approved' }), 0).state, [{ type: 'credit_refused', reason: 'insufficient balance', nowMilliseconds: 2_000 }]);
    assert.deepEqual(commands, ['save', 'notify_failure']);
    assert.equal(state.refund.status, 'failed');
  });

  test('a pending refund polls with backoff, applies each provider event once, and is flagged past the deadline', () => {
    const pending = run(startRefund(input({ status: 'approved' }), 0).state, [taken, { type: 'provider_answered', result: { refundId: 're_1', status: 'pending' }, nowMilliseconds: 3_000 }]).state;
    assert.equal(pending.phase, 'awaiting_provider');
    assert.equal(refundWakeAtMilliseconds(pending), 3_000 + 60_000);
    assert.deepEqual(decideRefund(pending, { type: 'timer_fired', nowMilliseconds: 63_000 }).commands.map((command) => command.kind), ['poll_provider']);
    const polledAgain = decideRefund(pending, { type: 'provider_answered', result: { refundId: 're_1', status: 'pending' }, nowMilliseconds: 63_000 }).state;
    assert.equal(refundWakeAtMilliseconds(polledAgain), 63_000 + 120_000);
    const other = { eventId: 'evt_9', providerRefundId: 're_other', status: 'failed', failureReason: null } as const;
    assert.deepEqual(decideRefund(pending, { type: 'provider_outcome', outcome: other, nowMilliseconds: 4_000 }).commands, []);
    const failedEvent = { eventId: 'evt_2', providerRefundId: 're_1', status: 'failed', failureReason: 'lost_or_stolen_card' } as const;
    const failed = decideRefund(pending, { type: 'provider_outcome', outcome: failedEvent, nowMilliseconds: 4_000 });
    assert.deepEqual(failed.commands.map((command) => command.kind), ['restore_credit']);
    const duplicate = decideRefund({ ...pending, appliedEventIds: ['evt_2'] }, { type: 'provider_outcome', outcome: failedEvent, nowMilliseconds: 4_000 });
    assert.deepEqual(duplicate.commands, []);
    const late = decideRefund(pending, { type: 'timer_fired', nowMilliseconds: 3_000 + providerOutcomeDeadlineMilliseconds });
    assert.equal(late.state.phase, 'closed');
    assert.equal(late.state.refund.status, 'processing');
    assert.notEqual(late.state.attention, null);
  });

  test('a bank transfer refund waits for ops to pay out, reminds them once, and gives the credit back at the deadline', () => {
    const waiting = run(startRefund(input({ status: 'approved', paymentMethod: 'bank_transfer', providerPaymentId: null }), 0).state, [taken]).state;
    assert.equal(waiting.phase, 'awaiting_payout');
    assert.equal(refundWakeAtMilliseconds(waiting), 2_000 + 3 * day);
    assert.deepEqual(decideRefund(waiting, { type: 'timer_fired', nowMilliseconds: 2_000 + 3 * day }).commands.map((command) => command.kind), ['remind_ops']);
    const reminded = decideRefund(waiting, { type: 'reminder_sent' }).state;
    assert.equal(refundWakeAtMilliseconds(reminded), 2_000 + 14 * day);
    const expired = decideRefund(reminded, { type: 'timer_fired', nowMilliseconds: 2_000 + 14 * day });
    assert.deepEqual(expired.commands.map((command) => command.kind), ['restore_credit']);
    const paid = decideRefund(reminded, { type: 'payout_confirmed', request: { bankReference: 'BANK-1', actor: 'ops-bob' }, nowMilliseconds: 5 * day });
    assert.equal(paid.state.refund.status, 'succeeded');
    assert.equal(paid.state.refund.bankReference, 'BANK-1');
    assert.equal(payoutRefusal(paid.state, null, { bankReference: 'BANK-1', actor: 'ops-bob' }), null);
    assert.match(payoutRefusal(paid.state, null, { bankReference: 'BANK-2', actor: 'ops-bob' }) ?? '', /another bank reference/);
    assert.match(payoutRefusal(startRefund(input(), 0).state, null, { bankReference: 'B', actor: 'x' }) ?? '', /bank transfer/);
  });

  test('a refund made at the provider only takes its credit back (capped) and issues its credit note', () => {
    const start = startRefund(input({ requestedBy: 'provider', status: 'processing', providerRefundId: 're_dashboard' }), 10_000);
    const [command] = start.commands;
    assert.ok(command?.kind === 'take_credit');
    assert.equal(command.refund.status, 'succeeded');
    const { state, commands } = run(start.state, [{ ...taken, debt: '2.000000' }]);
    assert.deepEqual(commands, ['credit_note']);
    assert.equal(state.refund.debt, '2.000000');
    assert.equal(state.refund.succeededAt, new Date(10_000).toISOString());
  });

  test('ops decide once: the same decision again is a repeat, another is refused', () => {
    const start = startRefund(input(), 0).state;
    assert.equal(decisionRefusal(start, null, approve.request), null);
    const approved = decideRefund(start, approve).state;
    assert.equal(decisionRefusal(approved, null, approve.request), null);
    assert.match(decisionRefusal(approved, null, { ...approve.request, decision: 'reject' }) ?? '', /already decided: approve/);
    assert.match(decisionRefusal(start, { ...approve.request, reason: 'first' }, approve.request) ?? '', /already decided/);
  });
});

describe('a dispute', () => {
  const created = (eventId: string): DisputeMachineEvent => ({
    type: 'provider_event',
    event: { eventId, kind: 'created', disputeId: 'dp_1', status: 'needs_response', amountMicros: '20.000000', providerReason: 'fraudulent' },
  });
  const closed = (eventId: string, status: string): DisputeMachineEvent => ({
    type: 'provider_event',
    event: { eventId, kind: 'closed', disputeId: 'dp_1', status, amountMicros: '20.000000', providerReason: 'fraudulent' },
  });
  function apply(state: DisputeState, events: DisputeMachineEvent[]) {
    const commands: string[] = [];
    for (const event of events) {
      const next = decideDispute(state, event);
      state = next.state;
      commands.push(...next.commands.map((command) => (command.kind === 'open' ? `open${command.alreadyWon ? ':won' : ''}` : `close:${command.outcome}`)));
    }
    return { state, commands };
  }

  test('opens once on created (duplicates ignored) and closes won or lost', () => {
    const { state, commands } = apply(startDispute(), [created('evt_1'), { type: 'opened', status: 'open' }, created('evt_1'), created('evt_2'), closed('evt_3', 'won')]);
    assert.deepEqual(commands, ['open', 'close:won']);
    assert.equal(decideDispute(state, { type: 'closed', status: 'won' }).state.phase, 'closed');
    assert.deepEqual(apply(startDispute(), [created('evt_1'), { type: 'opened', status: 'open' }, closed('evt_3', 'lost')]).commands, ['open', 'close:lost']);
  });

  test('a close that arrives before its created: lost takes the credit back and closes; won records it with nothing taken', () => {
    const lost = apply(startDispute(), [closed('evt_3', 'lost'), { type: 'opened', status: 'open' }]);
    assert.deepEqual(lost.commands, ['open', 'close:lost']);
    const won = apply(startDispute(), [closed('evt_3', 'won'), { type: 'opened', status: 'won' }]);
    assert.deepEqual(won.commands, ['open:won']);
    assert.equal(won.state.phase, 'closed');
    assert.deepEqual(apply(won.state, [created('evt_1')]).commands, []);
  });
});

describe('the credit a refund takes back, and the policy', () => {
  test('the same share of the credit, rounded up, and exactly what is left on the last refund', () => {
    const order = { creditMicros: 105_000_000n, payAmountMicros: 100_000_000n };
    assert.equal(creditRemovedFor({ ...order, amountMicros: 30_000_000n, refundableMicros: 100_000_000n, creditLeftMicros: 105_000_000n }), 31_500_000n);
    assert.equal(creditRemovedFor({ ...order, amountMicros: 1n, refundableMicros: 100_000_000n, creditLeftMicros: 105_000_000n }), 2n);
    assert.equal(creditRemovedFor({ ...order, amountMicros: 70_000_000n, refundableMicros: 70_000_000n, creditLeftMicros: 73_500_000n }), 73_500_000n);
    const capped = largestCoveredAmount({ ...order, balanceMicros: 21_000_000n, refundableMicros: 100_000_000n, microsPerMinorUnit: 10_000n });
    assert.equal(capped, 20_000_000n);
    assert.ok(creditRemovedFor({ ...order, amountMicros: capped, refundableMicros: 100_000_000n, creditLeftMicros: 105_000_000n }) <= 21_000_000n);
  });

  test('automatic approval: within the hours after payment and at most the share consumed', () => {
    const policy = { windowDays: 30, autoApprovalHours: 24, autoApprovalMaximumConsumedBasisPoints: 1_000 };
    const base = { paidAtMilliseconds: 0, creditMicros: 100_000_000n };
    assert.equal(isAutoApproved(policy, { ...base, nowMilliseconds: 23 * hour, consumedMicros: 10_000_000n }), true);
    assert.equal(isAutoApproved(policy, { ...base, nowMilliseconds: 23 * hour, consumedMicros: 10_000_001n }), false);
    assert.equal(isAutoApproved(policy, { ...base, nowMilliseconds: 25 * hour, consumedMicros: 0n }), false);
    assert.equal(isWithinRefundWindow(policy, 0, 30 * day), true);
    assert.equal(isWithinRefundWindow(policy, 0, 30 * day + 1), false);
  });
});
