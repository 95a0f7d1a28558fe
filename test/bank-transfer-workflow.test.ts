// Bank transfer orders in time: the business-day deadline as pure arithmetic, and the order workflow's
// reminder, expiry and review on Temporal's time-skipping test server, with the real activities, a real
// Postgres and mail delivered over SMTP to a local inbox.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAccount } from '../db/accounts/create-account.ts';
import { checkLedgerInvariants } from '../db/ledger/check-invariants.ts';
import { getOrderRow } from '../db/orders/get-order.ts';
import { listOrderActions } from '../db/orders/list-order-actions.ts';
import { addressedTo, startMailInbox, type MailInbox, type ReceivedMail } from '../dev/mail-inbox.ts';
import {
  bankTransferUtcOffsetMinutes,
  confirmTransferUpdate,
  judgeOpsAction,
  startReviewUpdate,
  type BankTransferOrderInput,
  type ConfirmTransferRequest,
} from '../domain/bank-transfers.ts';
import { bankTransferSchedule, isWeekendDay } from '../domain/business-days.ts';
import { orderIdFor, randomToken } from '../ids/ids.ts';
import { orderStateQuery, orderWorkflowId, type OrderSnapshot } from '../domain/orders.ts';
import { normalizeTransferReference, transferReferencePattern } from '../domain/transfer-references.ts';
import { newTransferReference } from '../ids/transfer-references.ts';
import { bankTransferOrder } from '../workflows/bank-transfer-order.ts';
import { createMailTransport } from '../worker/mail-transport.ts';
import { eventually } from './support/eventually.ts';
import { testInvoiceSettings } from './support/invoices.ts';
import { balanceMicrosOf } from './support/ledger.ts';
import { startWorkflowEnvironment, type WorkflowEnvironment } from './support/workflow-environment.ts';

const beijing = { utcOffsetMinutes: bankTransferUtcOffsetMinutes };
const hourMilliseconds = 60 * 60 * 1000;
const dayMilliseconds = 24 * hourMilliseconds;

/** An instant written in Beijing time, e.g. at('2026-11-20T15:00'). */
function at(beijingLocalTime: string): number {
  return Date.parse(`${beijingLocalTime}:00+08:00`);
}

describe('the business-day deadline', () => {
  // 2026-11-16 is a Monday.
  test('an order gets the whole of the next three business days, weekends skipped', () => {
    const cases: [created: string, lastDay: string][] = [
      ['2026-11-16T10:00', '2026-11-19'], // Monday -> Thursday
      ['2026-11-18T23:59', '2026-11-23'], // Wednesday -> Thursday, Friday, Monday
      ['2026-11-20T15:00', '2026-11-25'], // Friday -> Monday, Tuesday, Wednesday
      ['2026-11-21T09:00', '2026-11-25'], // Saturday -> the same Wednesday
      ['2026-11-22T23:59', '2026-11-25'], // Sunday, one minute before Monday -> Wednesday
      ['2026-11-23T00:00', '2026-11-26'], // Monday at midnight -> Thursday
    ];
    for (const [created, lastDay] of cases) {
      const schedule = bankTransferSchedule(at(created), 3, beijing);
      assert.equal(schedule.remindAtMilliseconds, at(`${lastDay}T09:00`), `reminder for ${created}`);
      assert.equal(schedule.expiresAtMilliseconds, at(`${lastDay}T00:00`) + dayMilliseconds, `expiry for ${created}`);
    }
  });

  test('days are counted in the calendar\'s offset, not in UTC', () => {
    // Friday 20:00 UTC is already Saturday 04:00 in Beijing: still the Wednesday deadline, not Tuesday's.
    const fridayEveningUtc = Date.parse('2026-11-20T20:00:00Z');
    assert.equal(bankTransferSchedule(fridayEveningUtc, 3, beijing).expiresAtMilliseconds, Date.parse('2026-11-25T16:00:00Z'));
    assert.equal(bankTransferSchedule(fridayEveningUtc, 3, { utcOffsetMinutes: 0 }).expiresAtMilliseconds, Date.parse('2026-11-26T00:00:00Z'));
  });

  test('one business day, and a deadline that crosses two weekends', () => {
    const friday = bankTransferSchedule(at('2026-11-20T18:00'), 1, beijing);
    assert.equal(friday.expiresAtMilliseconds, at('2026-11-24T00:00'));
    const tenDays = bankTransferSchedule(at('2026-11-20T18:00'), 10, beijing);
    assert.equal(tenDays.expiresAtMilliseconds, at('2026-12-05T00:00')); // ends Friday 4 December
  });

  test('weekends are Saturday and Sunday; impossible inputs are refused', () => {
    const saturday = Math.floor((at('2026-11-21T12:00') + 8 * hourMilliseconds) / dayMilliseconds);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((offset) => isWeekendDay(saturday + offset)), [true, true, false, false, false, false, false]);
    assert.throws(() => bankTransferSchedule(Date.now(), 0, beijing), RangeError);
    assert.throws(() => bankTransferSchedule(Date.now(), 31, beijing), RangeError);
    assert.throws(() => bankTransferSchedule(Date.now(), 1.5, beijing), RangeError);
    assert.throws(() => bankTransferSchedule(Date.now(), 3, { utcOffsetMinutes: 15 * 60 }), RangeError);
  });
});

describe('transfer references', () => {
  test('are RF- and eight Crockford base32 characters, without I, L, O or U, and differ', () => {
    const references = new Set(Array.from({ length: 2_000 }, () => newTransferReference()));
    assert.equal(references.size, 2_000);
    for (const reference of references) {
      assert.match(reference, transferReferencePattern);
      assert.doesNotMatch(reference.slice(3), /[ILOU]/);
    }
  });

  test('are read back as a person or a bank statement writes them', () => {
    assert.equal(normalizeTransferReference('RF-7KQ4-M2XP'), 'RF-7KQ4-M2XP');
    assert.equal(normalizeTransferReference(' rf 7kq4 m2xp '), 'RF-7KQ4-M2XP');
    assert.equal(normalizeTransferReference('7KQ4M2XP'), 'RF-7KQ4-M2XP');
    assert.equal(normalizeTransferReference('RF-7KQ4-M2OI'), 'RF-7KQ4-M201');
    assert.equal(normalizeTransferReference('RF-7KQ4-M2XU'), null);
    assert.equal(normalizeTransferReference('RF-7KQ4'), null);
  });
});

describe('the ops rule', () => {
  const confirm = (amountReceived: string, correctedCredit: string | null = null): ConfirmTransferRequest => ({
    action: 'confirm_transfer',
    actor: 'alice',
    amountReceived,
    bankReference: 'B-1',
    correctedCredit,
    reason: correctedCredit === null ? null : 'short payment',
  });
  const state = (status: OrderSnapshot['status'], decision: ConfirmTransferRequest | null = null) => ({
    status,
    payAmount: '100.000000',
    decision,
  });

  test('applies each transition once, repeats without effect, and refuses the rest by name', () => {
    assert.deepEqual(judgeOpsAction(state('pending'), { action: 'start_review', actor: 'a' }), { kind: 'apply' });
    assert.deepEqual(judgeOpsAction(state('processing'), { action: 'start_review', actor: 'a' }), { kind: 'repeat' });
    assert.equal((judgeOpsAction(state('cancelled'), { action: 'start_review', actor: 'a' }) as { code: string }).code, 'order_not_reviewable');
    assert.equal((judgeOpsAction(state('pending'), confirm('100.000000')) as { code: string }).code, 'order_not_in_review');
    assert.deepEqual(judgeOpsAction(state('processing'), confirm('100.000000')), { kind: 'apply' });
    assert.equal((judgeOpsAction(state('processing'), confirm('90.000000')) as { code: string }).code, 'amount_mismatch');
    assert.deepEqual(judgeOpsAction(state('processing'), confirm('90.000000', '95.000000')), { kind: 'apply' });
    const taken = confirm('100.000000');
    assert.deepEqual(judgeOpsAction(state('succeeded', taken), { ...confirm('100.000000'), actor: 'bob' }), { kind: 'repeat' });
    assert.equal((judgeOpsAction(state('succeeded', taken), { ...taken, bankReference: 'B-2' }) as { code: string }).code, 'order_already_reviewed');
    assert.equal(
      (judgeOpsAction(state('succeeded', taken), { action: 'reject_transfer', actor: 'a', reason: 'no' }) as { code: string }).code,
      'order_already_reviewed',
    );
  });
});

describe('the order workflow in time', () => {
  let harness: WorkflowEnvironment;
  let inbox: MailInbox;
  let mailTransport: ReturnType<typeof createMailTransport>;

  before(async () => {
    inbox = await startMailInbox({ smtpPort: 0, webPort: null, storageDirectory: null });
    mailTransport = createMailTransport({ smtpUrl: inbox.smtpUrl, from: testInvoiceSettings.mailFrom });
    harness = await startWorkflowEnvironment({
      server: 'time-skipping',
      name: 'refill-bank-time',
      mail: { mailTransport, invoices: testInvoiceSettings },
    });
  });

  after(async () => {
    await harness.close();
    mailTransport.close();
    await inbox.stop();
  });

  /** Moves the test server's clock forward to the next Friday, 15:00 Beijing time. */
  async function skipToFridayAfternoon(): Promise<number> {
    const now = await harness.environment.currentTimeMs();
    let friday = Math.floor((now + 8 * hourMilliseconds) / dayMilliseconds) * dayMilliseconds - 8 * hourMilliseconds + 15 * hourMilliseconds;
    while (friday <= now || new Date(friday + 8 * hourMilliseconds).getUTCDay() !== 5) friday += dayMilliseconds;
    await harness.environment.sleep(friday - now);
    return harness.environment.currentTimeMs();
  }

  async function startOrder(email: string) {
    const account = await createAccount(harness.database.sql, { email, currency: 'CNY' });
    const key = randomToken(10);
    const input: BankTransferOrderInput = {
      orderId: orderIdFor(account.accountId, key),
      accountId: account.accountId,
      customerEmail: email,
      requestHash: 'hash',
      idempotencyKey: key,
      terms: {
        currency: 'CNY',
        paymentMethod: 'bank_transfer',
        packageId: 'cny_100',
        amount: '100.000000',
        discount: '0.000000',
        payAmount: '100.000000',
        bonus: '0.000000',
        credit: '100.000000',
        promoCode: null,
      },
      payee: { bankName: 'Test Bank Shanghai', accountName: 'Refill Test Ltd.', accountNumber: '6222 0000 1111 2222' },
      remitter: { name: 'Li Lei', bankName: 'ICBC', remarks: null },
      deadlineBusinessDays: 3,
      utcOffsetMinutes: bankTransferUtcOffsetMinutes,
      createdAt: new Date(await harness.environment.currentTimeMs()).toISOString(),
    };
    const handle = await harness.client.workflow.start(bankTransferOrder, {
      workflowId: orderWorkflowId(input.orderId),
      taskQueue: harness.taskQueue,
      args: [input],
    });
    // Wait (in real time) until the order is recorded with its reference.
    const order = await eventually(async () => {
      const state = await handle.query(orderStateQuery);
      return state?.bankTransfer ? state : undefined;
    }, { description: 'the order recorded with its transfer reference' });
    return { input, handle, order };
  }

  test('a pending order is reminded on the morning of its last business day and expires at its end, past a weekend', async () => {
    const createdAt = await skipToFridayAfternoon();
    const email = `remind-${randomToken(6)}@example.com`;
    const { input, handle, order } = await startOrder(email);
    const friday = new Date(createdAt + 8 * hourMilliseconds).toISOString().slice(0, 10);
    const wednesday = new Date(Date.parse(friday) + 5 * dayMilliseconds).toISOString().slice(0, 10);
    assert.equal(order.expiresAt, new Date(at(`${wednesday}T00:00`) + dayMilliseconds).toISOString());
    assert.match(order.bankTransfer!.reference, transferReferencePattern);

    // At once: the instructions, with where to pay and the reference, sent once.
    const isInstructions = (mail: ReceivedMail) => addressedTo(email)(mail) && /^Transfer /.test(mail.parsed.subject ?? '');
    const isReminder = (mail: ReceivedMail) => addressedTo(email)(mail) && /^Reminder/.test(mail.parsed.subject ?? '');
    const instructions = await inbox.waitForMessage(isInstructions, 20_000);
    assert.match(instructions.parsed.text ?? '', new RegExp(`${order.bankTransfer!.reference}[\\s\\S]*6222 0000 1111 2222`));
    // Tuesday evening: no reminder yet.
    await harness.environment.sleep(at(`${wednesday}T08:59`) - (await harness.environment.currentTimeMs()));
    assert.equal(inbox.messages().filter(isReminder).length, 0, 'reminded before the last business day');
    assert.equal((await handle.query(orderStateQuery))?.status, 'pending');

    // Wednesday 09:00 Beijing time: the reminder, with where to pay and the reference.
    await harness.environment.sleep(2 * 60 * 1000);
    const reminder = await inbox.waitForMessage(isReminder, 20_000);
    assert.match(reminder.parsed.subject ?? '', new RegExp(order.bankTransfer!.reference));
    assert.match(reminder.parsed.text ?? '', /6222 0000 1111 2222/);
    assert.match(reminder.parsed.text ?? '', /100\.00 CNY/);
    assert.equal((await handle.query(orderStateQuery))?.status, 'pending');

    // Midnight at the end of Wednesday: expired.
    assert.deepEqual(await handle.result(), { outcome: 'closed', status: 'expired' });
    assert.ok((await harness.environment.currentTimeMs()) >= Date.parse(order.expiresAt));
    const row = await getOrderRow(harness.database.sql, input.orderId, null);
    assert.equal(row?.status, 'expired');
    assert.equal(inbox.messages().filter(isReminder).length, 1, 'exactly one reminder');
    assert.equal(inbox.messages().filter(isInstructions).length, 1, 'the instructions exactly once');
  });

  test('an order in review does not expire; a review left open is flagged, then confirmed and credited once', async () => {
    const email = `review-${randomToken(6)}@example.com`;
    const { input, handle } = await startOrder(email);
    const reviewed = await handle.executeUpdate(startReviewUpdate, { args: [{ action: 'start_review', actor: 'alice' }] });
    assert.equal(reviewed.status, 'processing');

    // Far past the transfer deadline and the two-week review limit: still in review, now flagged.
    await harness.environment.sleep(15 * dayMilliseconds);
    const waiting = await handle.query(orderStateQuery);
    assert.equal(waiting?.status, 'processing');
    assert.equal(waiting?.needsReview, true);

    const request = {
      action: 'confirm_transfer',
      actor: 'bob',
      amountReceived: '100.000000',
      bankReference: 'CMB-20261120-0001',
      correctedCredit: null,
      reason: null,
    } as const;
    const [first, second] = await Promise.all([
      handle.executeUpdate(confirmTransferUpdate, { args: [request] }),
      handle.executeUpdate(confirmTransferUpdate, { args: [{ ...request, actor: 'carol' }] }),
    ]);
    assert.equal(first.status, 'succeeded');
    assert.equal(second.status, 'succeeded');
    assert.deepEqual(await handle.result(), { outcome: 'closed', status: 'succeeded' });
    assert.equal(await balanceMicrosOf(harness.database.sql, input.accountId), 100_000_000n);
    const row = await getOrderRow(harness.database.sql, input.orderId, null);
    assert.equal(row?.needs_review, false);
    assert.equal(row?.provider_payment_id, 'CMB-20261120-0001');
    // One confirmation is recorded, by whichever of the two the workflow accepted first.
    const actions = await listOrderActions(harness.database.sql, input.orderId);
    assert.deepEqual(actions.map((action) => action.action), ['start_review', 'confirm_transfer']);
    assert.equal(actions[0]!.actor, 'alice');
    assert.ok(['bob', 'carol'].includes(actions[1]!.actor));
    assert.deepEqual(await checkLedgerInvariants(harness.database.sql), []);
  });
});
