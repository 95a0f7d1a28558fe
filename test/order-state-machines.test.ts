// The order state machines as plain functions: each event and state in, the next state and the commands
// out. No Temporal, no database: these are the rules, checked one transition at a time.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BankTransferOrderInput } from '../domain/bank-transfers.ts';
import { bankTransferSchedule } from '../domain/business-days.ts';
import type { PaymentEvent, StripeCheckoutOrderInput } from '../domain/orders.ts';
import {
  decideBankTransfer,
  startBankTransfer,
  type BankTransferEvent,
  type BankTransferState,
} from '../workflows/bank-transfer-state.ts';
import type { CreditCommand } from '../workflows/order-machine.ts';
import {
  canCancelStripe,
  canResumeStripe,
  decideStripeCheckout,
  processingDeadlineMilliseconds,
  startStripeCheckout,
  stripeWakeAtMilliseconds,
  type StripeCheckoutEvent,
  type StripeCheckoutState,
} from '../workflows/stripe-checkout-state.ts';

const createdAtMilliseconds = Date.parse('2026-11-16T02:00:00Z');
const expiresAtMilliseconds = createdAtMilliseconds + 30 * 60_000;

const terms = {
  currency: 'USD' as const,
  paymentMethod: 'stripe' as const,
  packageId: null,
  amount: '20.000000',
  discount: '0.000000',
  payAmount: '20.000000',
  bonus: '1.000000',
  credit: '21.000000',
  promoCode: null,
};

const stripeInput: StripeCheckoutOrderInput = {
  orderId: 'ord_000000000000000000000001',
  accountId: 'acct_1',
  customerEmail: 'a@example.com',
  requestHash: 'hash',
  idempotencyKey: 'key',
  terms,
  createdAt: new Date(createdAtMilliseconds).toISOString(),
  successUrl: 'https://shop.example/ok',
  cancelUrl: 'https://shop.example/cancel',
  expiresAt: new Date(expiresAtMilliseconds).toISOString(),
};

function paymentEvent(overrides: Partial<PaymentEvent> = {}): PaymentEvent {
  return {
    eventId: 'evt_1',
    type: 'checkout.session.completed',
    checkoutSessionId: 'cs_1',
    paymentStatus: 'paid',
    amountTotalMinorUnits: '2000',
    currency: 'usd',
    providerPaymentId: 'pi_1',
    createdSeconds: createdAtMilliseconds / 1000 + 60,
    ...overrides,
  };
}

/** Applies events in turn, returning the last transition. */
function stripeAfter(events: StripeCheckoutEvent[], from = startStripeCheckout(stripeInput).state) {
  let transition = { state: from, commands: [] as ReturnType<typeof decideStripeCheckout>['commands'] };
  for (const event of events) transition = decideStripeCheckout(transition.state, event);
  return transition;
}

const opened: StripeCheckoutEvent[] = [
  { type: 'recorded', refusal: null },
  { type: 'checkout_opened', sessionId: 'cs_1', url: 'https://checkout.example/cs_1' },
];
const openOrder = (): StripeCheckoutState => stripeAfter(opened).state;
const paid = (event: Partial<PaymentEvent> = {}): StripeCheckoutEvent => ({
  type: 'payment_event',
  event: paymentEvent(event),
  nowMilliseconds: createdAtMilliseconds + 61_000,
});

function creditCommandOf(commands: { kind: string }[]): CreditCommand {
  const credit = commands.find((command) => command.kind === 'credit');
  assert.ok(credit, `expected a credit command in ${JSON.stringify(commands.map((command) => command.kind))}`);
  return credit as CreditCommand;
}

describe('the Stripe Checkout order machine', () => {
  test('starts by recording the order, then opens its checkout and waits for the payment until the deadline', () => {
    const start = startStripeCheckout(stripeInput);
    assert.deepEqual(start.commands, [{ kind: 'record' }]);
    const recorded = decideStripeCheckout(start.state, { type: 'recorded', refusal: null });
    assert.deepEqual(recorded.commands, [{ kind: 'open_checkout' }]);
    const state = openOrder();
    assert.equal(state.phase, 'awaiting_payment');
    assert.equal(state.order.checkoutUrl, 'https://checkout.example/cs_1');
    assert.equal(stripeWakeAtMilliseconds(state), expiresAtMilliseconds);
  });

  test('a refused order finishes at once with its refusal and nothing to save', () => {
    const refusal = { code: 'promo_code_exhausted' as const, message: 'used up' };
    const { state, commands } = stripeAfter([{ type: 'recorded', refusal }]);
    assert.deepEqual(commands, []);
    assert.equal(state.finished, true);
    assert.deepEqual(state.refusal, refusal);
  });

  test('a matching payment is credited once: the credit saves the succeeded order, then the paperwork runs', () => {
    const credit = stripeAfter([paid()], openOrder());
    assert.equal(credit.state.phase, 'crediting');
    const command = creditCommandOf(credit.commands);
    assert.equal(command.succeeded.status, 'succeeded');
    assert.equal(command.succeeded.providerPaymentId, 'pi_1');
    assert.equal(command.succeeded.paidAt, new Date(createdAtMilliseconds + 60_000).toISOString());
    const credited = decideStripeCheckout(credit.state, { type: 'credited', command, creditedAt: '2026-11-16T02:01:02.000Z', balanceAfter: '21.000000' });
    assert.equal(credited.state.order.status, 'succeeded');
    assert.equal(credited.state.order.creditedAt, '2026-11-16T02:01:02.000Z');
    assert.deepEqual(credited.commands, [{ kind: 'paperwork', balanceAfter: '21.000000' }]);
    const done = decideStripeCheckout(credited.state, { type: 'paperwork_done', receiptUrl: 'https://r', invoiceNumber: 'RF-2026-000001' });
    assert.equal(done.state.finished, true);
    assert.equal(done.state.order.invoiceNumber, 'RF-2026-000001');
  });

  test('a redelivered event, or one for another checkout session, changes nothing', () => {
    const afterUnpaid = stripeAfter([paid({ paymentStatus: 'unpaid' })], openOrder()).state;
    assert.equal(afterUnpaid.order.status, 'processing');
    const again = decideStripeCheckout(afterUnpaid, paid({ paymentStatus: 'unpaid' }));
    assert.equal(again.state, afterUnpaid);
    assert.deepEqual(again.commands, []);
    const other = decideStripeCheckout(openOrder(), paid({ eventId: 'evt_2', checkoutSessionId: 'cs_other' }));
    assert.deepEqual(other.commands, []);
    assert.equal(other.state.order.status, 'pending');
  });

  test('a payment that does not match the quote is held for review, not credited', () => {
    const { state, commands } = stripeAfter([paid({ amountTotalMinorUnits: '1999' })], openOrder());
    assert.deepEqual(commands, [{ kind: 'save' }]);
    assert.equal(state.phase, 'held_for_review');
    assert.equal(state.order.needsReview, true);
    assert.match(state.order.reviewReason ?? '', /paid 1999 usd .* expected 2000 usd/);
    const currency = stripeAfter([paid({ currency: 'eur' })], openOrder());
    assert.equal(currency.state.order.needsReview, true);
  });

  test('a delayed payment waits in processing: it fails, succeeds, or is flagged after its deadline', () => {
    const processing = stripeAfter([paid({ paymentStatus: 'unpaid' })], openOrder()).state;
    const failed = decideStripeCheckout(processing, paid({ eventId: 'evt_2', type: 'checkout.session.async_payment_failed' }));
    assert.equal(failed.state.order.status, 'failed');
    assert.deepEqual(failed.commands, [{ kind: 'save' }]);
    const succeeded = decideStripeCheckout(processing, paid({ eventId: 'evt_3', type: 'checkout.session.async_payment_succeeded' }));
    creditCommandOf(succeeded.commands);
    const deadline = stripeWakeAtMilliseconds(processing)!;
    assert.equal(deadline, createdAtMilliseconds + 61_000 + processingDeadlineMilliseconds);
    const early = decideStripeCheckout(processing, { type: 'timer_fired', nowMilliseconds: deadline - 1 });
    assert.equal(early.state, processing);
    const late = decideStripeCheckout(processing, { type: 'timer_fired', nowMilliseconds: deadline });
    assert.equal(late.state.order.needsReview, true);
    assert.equal(late.state.phase, 'held_for_review');
  });

  test('cancelling expires the checkout first; a payment the provider reports then wins over the cancel', () => {
    const state = openOrder();
    assert.equal(canCancelStripe(state), true);
    const closing = decideStripeCheckout(state, { type: 'cancel_requested' });
    assert.deepEqual(closing.commands, [{ kind: 'expire_checkout' }]);
    const cancelled = decideStripeCheckout(closing.state, { type: 'checkout_closed', result: { outcome: 'expired' }, nowMilliseconds: 0 });
    assert.equal(cancelled.state.order.status, 'cancelled');
    assert.equal(cancelled.state.finished, true);
    const checkout = { paymentStatus: 'paid' as const, amountTotalMinorUnits: '2000', currency: 'usd', providerPaymentId: 'pi_9' };
    const won = decideStripeCheckout(closing.state, { type: 'checkout_closed', result: { outcome: 'completed', checkout }, nowMilliseconds: expiresAtMilliseconds });
    assert.equal(creditCommandOf(won.commands).succeeded.providerPaymentId, 'pi_9');
  });

  test('a cancel asked for before the checkout opened closes it as soon as it opens', () => {
    const recorded = stripeAfter([{ type: 'recorded', refusal: null }]).state;
    const asked = decideStripeCheckout(recorded, { type: 'cancel_requested' }).state;
    const openedThen = decideStripeCheckout(asked, opened[1]!);
    assert.deepEqual(openedThen.commands, [{ kind: 'expire_checkout' }]);
    assert.equal(openedThen.state.closingFor, 'cancelled');
  });

  test('the deadline expires the checkout; before it, the order can be resumed', () => {
    const state = openOrder();
    assert.equal(canResumeStripe(state, expiresAtMilliseconds - 1), true);
    assert.equal(canResumeStripe(state, expiresAtMilliseconds), false);
    const early = decideStripeCheckout(state, { type: 'timer_fired', nowMilliseconds: expiresAtMilliseconds - 1 });
    assert.deepEqual(early.commands, []);
    const due = decideStripeCheckout(state, { type: 'timer_fired', nowMilliseconds: expiresAtMilliseconds });
    assert.deepEqual(due.commands, [{ kind: 'expire_checkout' }]);
    const expired = decideStripeCheckout(due.state, { type: 'checkout_closed', result: { outcome: 'expired' }, nowMilliseconds: expiresAtMilliseconds });
    assert.equal(expired.state.order.status, 'expired');
  });

  test('ops resolve a held payment once: the decision is recorded first, then credited or failed', () => {
    const held = stripeAfter([paid({ amountTotalMinorUnits: '1999' })], openOrder()).state;
    const decision = { decision: 'credit' as const, reason: 'short by a cent, accepted', actor: 'ops-alice' };
    const credit = decideStripeCheckout(held, { type: 'review_resolved', decision, nowMilliseconds: 5 });
    assert.deepEqual(credit.commands.map((command) => command.kind), ['record_action', 'credit']);
    assert.equal(credit.state.order.needsReview, false);
    assert.match(credit.state.order.reviewReason ?? '', /resolved by ops-alice: credit/);
    const again = decideStripeCheckout(credit.state, { type: 'review_resolved', decision, nowMilliseconds: 6 });
    assert.deepEqual(again.commands, []);
    const fail = decideStripeCheckout(held, { type: 'review_resolved', decision: { ...decision, decision: 'fail' }, nowMilliseconds: 5 });
    assert.deepEqual(fail.commands.map((command) => command.kind), ['record_action', 'save']);
    assert.equal(fail.state.order.status, 'failed');
  });

  test('a credit the ledger refuses holds the order for a person, with the reason', () => {
    const crediting = stripeAfter([paid()], openOrder()).state;
    const failed = decideStripeCheckout(crediting, { type: 'credit_failed', reason: 'malformed_transfer: legs do not sum to zero' });
    assert.equal(failed.state.phase, 'held_for_review');
    assert.equal(failed.state.order.status, 'processing');
    assert.match(failed.state.order.reviewReason ?? '', /the credit failed: malformed_transfer/);
    assert.deepEqual(failed.commands, [{ kind: 'save' }]);
  });

  test('a payment after the order closed becomes a payment exception; the credited payment itself does not', () => {
    const expired = stripeAfter([{ type: 'timer_fired', nowMilliseconds: expiresAtMilliseconds }, { type: 'checkout_closed', result: { outcome: 'expired' }, nowMilliseconds: expiresAtMilliseconds }], openOrder()).state;
    const late = decideStripeCheckout(expired, paid());
    assert.deepEqual(late.commands.map((command) => command.kind), ['record_payment_exception']);
    assert.equal(late.state.order.status, 'expired');
    assert.deepEqual(decideStripeCheckout(late.state, paid()).commands, []);
    const unpaid = decideStripeCheckout(expired, paid({ eventId: 'evt_5', type: 'checkout.session.expired' }));
    assert.deepEqual(unpaid.commands, []);
  });
});

const beijing = 8 * 60;
const bankInput: BankTransferOrderInput = {
  orderId: 'ord_000000000000000000000002',
  accountId: 'acct_2',
  customerEmail: 'b@example.com',
  requestHash: 'hash',
  idempotencyKey: 'key',
  terms: { ...terms, currency: 'CNY', paymentMethod: 'bank_transfer', amount: '1000.000000', payAmount: '1000.000000', bonus: '0.000000', credit: '1000.000000' },
  createdAt: new Date(createdAtMilliseconds).toISOString(),
  payee: { bankName: 'Bank', accountName: 'Refill Ltd', accountNumber: '6222' },
  remitter: { name: 'Li Lei', bankName: 'ICBC', remarks: null },
  deadlineBusinessDays: 3,
  utcOffsetMinutes: beijing,
};
const schedule = bankTransferSchedule(createdAtMilliseconds, 3, { utcOffsetMinutes: beijing });

function bankAfter(events: BankTransferEvent[]): ReturnType<typeof decideBankTransfer> {
  let transition = { state: startBankTransfer(bankInput, schedule).state as BankTransferState, commands: [] as ReturnType<typeof decideBankTransfer>['commands'] };
  for (const event of events) transition = decideBankTransfer(transition.state, event);
  return transition;
}
const bankRecorded: BankTransferEvent = { type: 'recorded', refusal: null, reference: 'RF-7KQ4-M2XP' };
const review: BankTransferEvent = { type: 'review_started', request: { action: 'start_review', actor: 'ops' }, nowMilliseconds: createdAtMilliseconds + 1 };
const confirmation = { action: 'confirm_transfer' as const, actor: 'ops', amountReceived: '1000.000000', bankReference: 'B-1', correctedCredit: null, reason: null };

describe('the bank transfer order machine', () => {
  test('is recorded with its reference and waits for the transfer, reminding on the last morning', () => {
    const { state } = bankAfter([bankRecorded]);
    assert.equal(state.phase, 'pending');
    assert.equal(state.order.bankTransfer?.reference, 'RF-7KQ4-M2XP');
    assert.equal(state.order.bankTransfer?.remitterName, 'Li Lei');
    const remind = decideBankTransfer(state, { type: 'timer_fired', nowMilliseconds: schedule.remindAtMilliseconds });
    assert.deepEqual(remind.commands, [{ kind: 'send_email', email: 'reminder' }]);
    const expire = decideBankTransfer(remind.state, { type: 'timer_fired', nowMilliseconds: schedule.expiresAtMilliseconds });
    assert.equal(expire.state.order.status, 'expired');
    assert.deepEqual(expire.commands, [{ kind: 'save' }]);
  });

  test('a run started with the instructions patch emails the bank details once, when recorded; earlier runs do not', () => {
    const start = startBankTransfer(bankInput, schedule).state;
    const patched = decideBankTransfer({ ...start, instructionsEmail: true }, bankRecorded);
    assert.deepEqual(patched.commands, [{ kind: 'send_email', email: 'instructions' }]);
    assert.equal(patched.state.order.bankTransfer?.reference, 'RF-7KQ4-M2XP');
    assert.deepEqual(decideBankTransfer(start, bankRecorded).commands, [], 'a run from before the patch sends nothing new');
    const refused = decideBankTransfer({ ...start, instructionsEmail: true }, { type: 'recorded', refusal: { code: 'promo_code_exhausted', message: 'used up' }, reference: null });
    assert.deepEqual(refused.commands, [], 'a refused order tells no one to pay');
  });

  test('a worker back only after the deadline does not remind an order it is about to expire', () => {
    const { state } = bankAfter([bankRecorded]);
    const late = decideBankTransfer(state, { type: 'timer_fired', nowMilliseconds: schedule.expiresAtMilliseconds + 1 });
    assert.deepEqual(late.commands, []);
    assert.equal(late.state.reminded, true);
  });

  test('the customer cancels a pending order; the cancel is recorded as theirs', () => {
    const { state, commands } = bankAfter([bankRecorded, { type: 'cancel_requested', nowMilliseconds: 7 }]);
    assert.equal(state.order.status, 'cancelled');
    assert.equal(commands[0]?.kind, 'record_action');
    assert.deepEqual(commands[1], { kind: 'save' });
  });

  test('a review stops the expiry; a confirmation credits the quote, a correction credits what ops decided', () => {
    const inReview = bankAfter([bankRecorded, review]);
    assert.equal(inReview.state.order.status, 'processing');
    assert.deepEqual(inReview.commands.map((command) => command.kind), ['record_action', 'save']);
    const expiry = decideBankTransfer(inReview.state, { type: 'timer_fired', nowMilliseconds: schedule.expiresAtMilliseconds });
    assert.equal(expiry.state.order.status, 'processing');
    const confirmed = decideBankTransfer(inReview.state, { type: 'decision_taken', request: confirmation, nowMilliseconds: 9 });
    assert.deepEqual(confirmed.commands.map((command) => command.kind), ['record_action', 'credit']);
    assert.equal(creditCommandOf(confirmed.commands).correction, null);
    const corrected = decideBankTransfer(inReview.state, {
      type: 'decision_taken',
      request: { ...confirmation, amountReceived: '999.000000', correctedCredit: '999.000000', reason: 'fee' },
      nowMilliseconds: 9,
    });
    assert.deepEqual(creditCommandOf(corrected.commands).correction, { amountReceived: '999.000000', correctedCredit: '999.000000', reason: 'fee' });
  });

  test('an amount that differs without a correction is not applied; a rejection fails the order and emails the reason', () => {
    const inReview = bankAfter([bankRecorded, review]).state;
    const mismatch = decideBankTransfer(inReview, { type: 'decision_taken', request: { ...confirmation, amountReceived: '999.000000' }, nowMilliseconds: 9 });
    assert.equal(mismatch.state, inReview);
    const rejected = decideBankTransfer(inReview, { type: 'decision_taken', request: { action: 'reject_transfer', actor: 'ops', reason: 'not found' }, nowMilliseconds: 9 });
    assert.equal(rejected.state.order.status, 'failed');
    assert.equal(rejected.state.order.failureReason, 'not found');
    assert.deepEqual(rejected.commands.map((command) => command.kind), ['record_action', 'save', 'send_email']);
  });

  test('a review left open past its deadline is flagged for a person and keeps waiting', () => {
    const inReview = bankAfter([bankRecorded, review]).state;
    const overdue = decideBankTransfer(inReview, { type: 'timer_fired', nowMilliseconds: createdAtMilliseconds + 1 + 14 * 24 * 3_600_000 });
    assert.equal(overdue.state.order.needsReview, true);
    assert.equal(overdue.state.phase, 'in_review');
    assert.deepEqual(overdue.commands, [{ kind: 'save' }]);
  });
});
