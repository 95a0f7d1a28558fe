// Refunds and disputes end to end: the API over HTTP, a worker, the Temporal dev server, PostgreSQL,
// stripe-mock and a real SMTP server (the mail inbox). Webhooks are Stripe-format events signed as Stripe
// signs them. The ledger's audit (with its refund invariants) must hold after every test.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { allocateCreditNote } from '../db/credit-notes/allocate-credit-note.ts';
import { checkLedgerInvariants } from '../db/ledger/check-invariants.ts';
import { getRefundRow } from '../db/refunds/get-refund.ts';
import { refundSnapshotFromRow } from '../db/refunds/refund-row.ts';
import { takeRefundCredit } from '../db/refunds/take-refund-credit.ts';
import { addressedTo, startMailInbox, type MailInbox } from '../dev/mail-inbox.ts';
import { refundWorkflowId } from '../domain/refunds.ts';
import { randomToken } from '../ids/ids.ts';
import { balanceOf, createTestCustomer, testAdminToken, uniqueKey } from './support/api.ts';
import { eventually } from './support/eventually.ts';
import { testInvoiceSettings } from './support/invoices.ts';
import { testOperatorToken } from './support/operators.ts';
import { createPendingOrder, creditOrderDirectly, insertOrderDirectly, paidEvent, paidSnapshotOf, stripeOrderInput } from './support/orders.ts';
import { sendWebhook, startTestPipeline, waitForOrder, type OrderJson, type TestPipeline } from './support/pipeline.ts';

const mailTimeoutMilliseconds = 30_000;
let inbox: MailInbox;
let pipeline: TestPipeline;

before(async () => {
  inbox = await startMailInbox({ smtpPort: 0, webPort: null, storageDirectory: null });
  pipeline = await startTestPipeline({ environment: { SMTP_URL: inbox.smtpUrl } });
});
after(async () => {
  await pipeline.close();
  await inbox.stop();
});
afterEach(async () => {
  assert.deepEqual(await checkLedgerInvariants(pipeline.database.sql), []);
});

const ops = (operator = 'ops-alice') => ({ token: testOperatorToken(operator) });

async function customer(currency = 'USD') {
  return createTestCustomer(pipeline.api, currency, 'refund');
}

/** A 20.00 USD card top-up, paid through a signed webhook, credited and invoiced. */
async function paidOrder(apiKey: string): Promise<OrderJson> {
  const order = await createPendingOrder(pipeline.api, apiKey);
  assert.equal((await sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, order))).status, 200);
  return waitForOrder(pipeline.api, apiKey, order.id, ['succeeded'], { until: (paid) => paid.invoice_number !== null });
}

function requestRefund(apiKey: string, orderId: string, body: Record<string, unknown>, idempotencyKey = uniqueKey('refund')) {
  return pipeline.api.request('POST', `/v1/topups/${orderId}/refund-requests`, { token: apiKey, idempotencyKey, body });
}

async function waitForRefund(apiKey: string, refundId: string, statuses: string[], until: (refund: Record<string, unknown>) => boolean = () => true) {
  return eventually(
    async () => {
      const response = await pipeline.api.request('GET', `/v1/refunds/${refundId}`, { token: apiKey });
      if (response.status === 200 && statuses.includes(response.body.status) && until(response.body)) return response.body;
      throw new Error(`refund ${refundId}: ${response.status} ${response.text}`);
    },
    { description: `refund ${refundId} to be ${statuses.join('/')}` },
  );
}

function consume(apiKey: string, amount: string) {
  return pipeline.api.request('POST', '/v1/consumptions', { token: apiKey, idempotencyKey: uniqueKey('use'), body: { amount, description: 'usage' } });
}

/** The flow types of the ledger transfers of a refund, in the order they were posted. */
async function refundTransfers(refundId: string): Promise<string[]> {
  const rows = await pipeline.database.sql<{ flow_type: string }[]>`
    select flow_type from transfers where metadata->>'refund_id' = ${refundId} order by id`;
  return rows.map((row) => row.flow_type);
}

describe('refunds a customer asks for', () => {
  test('a partial refund, then a second of the rest: credit taken back, provider refunded, credit notes numbered, emailed and downloadable', async () => {
    const { apiKey, email } = await customer();
    const order = await paidOrder(apiKey);
    const mail = inbox.waitForMessage((message) => addressedTo(email)(message) && /credit note/.test(message.parsed.subject ?? ''), mailTimeoutMilliseconds);
    const first = await requestRefund(apiKey, order.id, { amount: '5.00', reason: 'Wrong amount' });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.requested_by, 'customer');
    assert.equal(first.body.credit_removed, '5.000000');
    assert.equal(first.body.currency, 'USD');
    const done = await waitForRefund(apiKey, first.body.id, ['succeeded'], (refund) => refund.credit_note_number !== null);
    assert.match(String(done.provider_refund_id), /^re_/);
    assert.equal(await balanceOf(pipeline.api, apiKey), '15.000000');
    const received = await mail;
    assert.equal(received.parsed.attachments[0]?.filename, `${done.credit_note_number}.pdf`);
    const pdf = await fetch(`${pipeline.api.baseUrl}/v1/refunds/${first.body.id}/credit-note`, { headers: { authorization: `Bearer ${apiKey}` } });
    assert.equal(pdf.status, 200);
    assert.equal(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');

    const tooMuch = await requestRefund(apiKey, order.id, { amount: '15.01', reason: 'more' });
    assert.equal(tooMuch.status, 422, tooMuch.text);
    assert.equal(tooMuch.body.error.code, 'refund_exceeds_refundable');
    const rest = await requestRefund(apiKey, order.id, { reason: 'the rest' });
    assert.equal(rest.status, 201, rest.text);
    assert.equal(rest.body.amount, '15.000000');
    const second = await waitForRefund(apiKey, rest.body.id, ['succeeded'], (refund) => refund.credit_note_number !== null);
    assert.equal(await balanceOf(pipeline.api, apiKey), '0.000000');
    const [, year, number] = String(done.credit_note_number).split('-');
    assert.equal(second.credit_note_number, `CN-${year}-${String(Number(number) + 1).padStart(6, '0')}`);
    const again = await requestRefund(apiKey, order.id, { amount: '1.00', reason: 'again' });
    assert.equal(again.body.error.code, 'order_not_refundable');

    const shown = (await pipeline.api.request('GET', `/v1/topups/${order.id}`, { token: apiKey })).body;
    assert.equal(shown.refunded_amount, '20.000000');
    assert.deepEqual(shown.refunds.map((refund: { id: string }) => refund.id), [first.body.id, rest.body.id]);
    const flows = (await pipeline.api.request('GET', '/v1/account-flows?type=refund', { token: apiKey })).body.data;
    assert.deepEqual(
      flows.map((flow: Record<string, unknown>) => [flow.refund_id, flow.order_id, flow.amount]),
      [[rest.body.id, order.id, '-15.000000'], [first.body.id, order.id, '-5.000000']],
    );
    const listed = (await pipeline.api.request('GET', '/v1/refunds?status=succeeded', { token: apiKey })).body.data;
    assert.equal(listed.length, 2);
    // A retried request (same Idempotency-Key, same body) is the same refund.
    const key = uniqueKey('retry');
    const other = await paidOrder(apiKey);
    const once = await requestRefund(apiKey, other.id, { amount: '1.00', reason: 'retry' }, key);
    const twice = await requestRefund(apiKey, other.id, { amount: '1.00', reason: 'retry' }, key);
    assert.equal(twice.body.id, once.body.id);
    assert.equal(twice.headers.get('idempotent-replayed'), 'true');
    assert.equal((await requestRefund(apiKey, other.id, { amount: '2.00', reason: 'retry' }, key)).body.error.code, 'idempotency_key_reused');
    await waitForRefund(apiKey, once.body.id, ['succeeded']);
  });

  test('most of the credit spent: refused for the customer, held for ops beyond the rule, and capped when ops choose so', async () => {
    const { apiKey } = await customer();
    const order = await paidOrder(apiKey);
    assert.equal((await consume(apiKey, '15.00')).status, 201);
    const refused = await requestRefund(apiKey, order.id, { reason: 'all of it' });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.error.code, 'refund_exceeds_unconsumed_credit');

    // 75% consumed: more than the automatic rule allows, so it waits for ops.
    const held = await requestRefund(apiKey, order.id, { amount: '2.00', reason: 'some of it' });
    assert.equal(held.status, 201, held.text);
    assert.equal(held.body.status, 'requested');
    const queue = (await pipeline.api.request('GET', '/admin/refunds?status=requested&limit=100', ops())).body.data;
    assert.ok(queue.some((refund: { id: string }) => refund.id === held.body.id));
    const rejected = await pipeline.api.request('POST', `/admin/refunds/${held.body.id}/reject`, { ...ops(), body: { reason: 'spent' } });
    assert.equal(rejected.status, 200, rejected.text);
    assert.equal(rejected.body.status, 'rejected');
    assert.equal(rejected.body.decided_by, 'ops-alice');
    const otherDecision = await pipeline.api.request('POST', `/admin/refunds/${held.body.id}/approve`, ops('ops-bob'));
    assert.equal(otherDecision.body.error?.code, 'refund_already_decided');
    assert.equal(await balanceOf(pipeline.api, apiKey), '5.000000');

    const capped = await pipeline.api.request('POST', `/admin/topups/${order.id}/refunds`, {
      ...ops('ops-bob'),
      idempotencyKey: uniqueKey('ops'),
      body: { reason: 'goodwill', cap_to_unconsumed_credit: true },
    });
    assert.equal(capped.status, 201, capped.text);
    assert.equal(capped.body.amount, '5.000000');
    assert.equal(capped.body.requested_by, 'ops');
    assert.equal(capped.body.requested_by_operator, 'ops-bob');
    await waitForRefund(apiKey, capped.body.id, ['succeeded']);
    assert.equal(await balanceOf(pipeline.api, apiKey), '0.000000');
    const audit = (await pipeline.api.request('GET', `/admin/audit-log?target=${held.body.id}`, { token: testAdminToken })).body.data;
    assert.ok(audit.some((entry: { operator: string; action: string }) => entry.operator === 'ops-alice' && entry.action === 'refund.reject'));
  });

  test('two concurrent requests for most of an order never refund more than it paid', async () => {
    const { apiKey } = await customer();
    const order = await paidOrder(apiKey);
    const answers = await Promise.all([0, 1, 2].map(() => requestRefund(apiKey, order.id, { amount: '15.00', reason: 'twice' })));
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [201, 422, 422]);
    const created = answers.find((answer) => answer.status === 201)!.body;
    await waitForRefund(apiKey, created.id, ['succeeded']);
    assert.equal(await balanceOf(pipeline.api, apiKey), '5.000000');
  });

  test('a worker that died after taking the credit back: on restart one refund, one transfer, refunded once', async () => {
    const { apiKey } = await customer();
    const order = await paidOrder(apiKey);
    await pipeline.stopWorker();
    try {
      const created = await requestRefund(apiKey, order.id, { amount: '4.00', reason: 'crash' });
      assert.equal(created.status, 201, created.text);
      // What the take-back activity committed before its worker died, unreported.
      const row = (await getRefundRow(pipeline.database.sql, created.body.id, null))!;
      await takeRefundCredit(pipeline.database.sql, { ...refundSnapshotFromRow(row), status: 'processing' });
      assert.equal(await balanceOf(pipeline.api, apiKey), '16.000000');
    } finally {
      await pipeline.startWorker();
    }
    const refunds = (await pipeline.api.request('GET', '/v1/refunds', { token: apiKey })).body.data;
    const done = await waitForRefund(apiKey, refunds[0].id, ['succeeded']);
    assert.equal(await balanceOf(pipeline.api, apiKey), '16.000000');
    assert.deepEqual(await refundTransfers(done.id), ['refund']);
    await pipeline.api.temporalClient.workflow.getHandle(refundWorkflowId(done.id)).result();
  });

  test('a refund the provider fails gives the credit back exactly once and tells the customer', async () => {
    const { apiKey, email } = await customer();
    const order = await paidOrder(apiKey);
    // stripe-mock refunds anything it is asked to; a payment the provider cannot be asked about (no
    // payment id recorded) is refused permanently by the same step, and takes the same way back.
    await pipeline.database.sql`update orders set provider_payment_id = null where id = ${order.id}`;
    const notice = inbox.waitForMessage((message) => addressedTo(email)(message) && /could not be made/.test(message.parsed.subject ?? ''), mailTimeoutMilliseconds);
    const created = await requestRefund(apiKey, order.id, { amount: '6.00', reason: 'refused' });
    assert.equal(created.status, 201, created.text);
    const failed = await waitForRefund(apiKey, created.body.id, ['failed']);
    assert.match(String(failed.failure_reason), /provider/);
    assert.equal(await balanceOf(pipeline.api, apiKey), '20.000000');
    assert.deepEqual(await refundTransfers(created.body.id), ['refund', 'refund_reversal']);
    assert.match((await notice).parsed.text ?? '', /on your balance again/);
  });
});

/** A Stripe-format event of a refund, a charge or a dispute, as the dashboard or the bank would cause it. */
function providerEvent(type: string, object: Record<string, unknown>, eventId = `evt_${randomToken(20)}`) {
  return { id: eventId, object: 'event', type, created: Math.floor(Date.now() / 1000), data: { object } };
}

const paymentOf = (order: OrderJson) => `pi_test_${order.id.slice(4)}`;

describe('events Refill did not start', () => {
  test('a dashboard refund is taken back once, whichever of its events arrives and however often', async () => {
    const { apiKey } = await customer();
    const order = await paidOrder(apiKey);
    const refund = { id: `re_dash_${randomToken(10)}`, object: 'refund', amount: 500, currency: 'usd', status: 'succeeded', payment_intent: paymentOf(order), metadata: {} };
    const charged = providerEvent('charge.refunded', { id: `ch_${randomToken(10)}`, object: 'charge', payment_intent: paymentOf(order), amount_refunded: 500, refunds: { data: [refund] } });
    const outcomes = [];
    for (const event of [charged, providerEvent('refund.created', refund), charged, providerEvent('refund.updated', refund)]) {
      const answer = await sendWebhook(pipeline.api, event);
      assert.equal(answer.status, 200, answer.text);
      outcomes.push(answer.body.outcome);
    }
    assert.deepEqual(outcomes, ['refund_recorded', 'refund_recorded', 'refund_recorded', 'refund_recorded']);
    const refunds = (await pipeline.api.request('GET', '/v1/refunds', { token: apiKey })).body.data;
    assert.equal(refunds.length, 1);
    assert.equal(refunds[0].requested_by, 'provider');
    await waitForRefund(apiKey, refunds[0].id, ['succeeded'], (found) => found.credit_note_number !== null);
    assert.equal(await balanceOf(pipeline.api, apiKey), '15.000000');
    const unknown = await sendWebhook(pipeline.api, providerEvent('refund.created', { ...refund, id: 're_unknown_1', payment_intent: 'pi_unknown_order' }));
    assert.equal(unknown.status, 200);
    assert.equal(unknown.body.outcome, 'unknown_order');
  });

  test('a dispute on a partly spent order: restricted, balance to zero, the rest as debt; won restores everything', async () => {
    const { apiKey, accountId } = await customer();
    const order = await paidOrder(apiKey);
    assert.equal((await consume(apiKey, '12.00')).status, 201);
    const dispute = { id: `dp_${randomToken(12)}`, object: 'dispute', amount: 2000, currency: 'usd', status: 'needs_response', reason: 'fraudulent', payment_intent: paymentOf(order) };
    const created = providerEvent('charge.dispute.created', dispute);
    for (const event of [created, created]) assert.equal((await sendWebhook(pipeline.api, event)).status, 200);
    await eventually(async () => ((await balanceOf(pipeline.api, apiKey)) === '0.000000' ? true : undefined), { description: 'the dispute takes the balance' });
    const listed = await eventually(async () => {
      const found = (await pipeline.api.request('GET', '/admin/disputes?status=open&limit=100', ops())).body.data.find((item: { id: string }) => item.id === dispute.id);
      return found?.credit_taken === '8.000000' ? found : undefined;
    }, { description: 'the open dispute' });
    assert.equal(listed.debt, '12.000000');
    const [debt] = await pipeline.database.sql<{ balance_micros: bigint }[]>`select balance_micros from ledger_accounts where code = ${`debt:${accountId}`}`;
    assert.equal(debt?.balance_micros, -12_000_000n);
    const deduction = await consume(apiKey, '0.01');
    assert.equal(deduction.status, 403);
    assert.equal(deduction.body.error.code, 'account_restricted');
    const topUp = await pipeline.api.request('POST', '/v1/topups', { token: apiKey, idempotencyKey: uniqueKey('t'), body: { amount: '20.00', payment_method: 'stripe' } });
    assert.equal(topUp.body.error.code, 'account_restricted');
    assert.deepEqual(await checkLedgerInvariants(pipeline.database.sql), []);

    assert.equal((await sendWebhook(pipeline.api, providerEvent('charge.dispute.closed', { ...dispute, status: 'won' }))).status, 200);
    await eventually(async () => ((await balanceOf(pipeline.api, apiKey)) === '8.000000' ? true : undefined), { description: 'the won dispute gives back' });
    await eventually(async () => ((await consume(apiKey, '0.01')).status === 201 ? true : undefined), { description: 'the restriction lifted' });
    const [cleared] = await pipeline.database.sql<{ balance_micros: bigint }[]>`select balance_micros from ledger_accounts where code = ${`debt:${accountId}`}`;
    assert.equal(cleared?.balance_micros, 0n);
    // The same event again answers as it did; a new one for the closed dispute changes nothing.
    assert.equal((await sendWebhook(pipeline.api, created)).body.outcome, 'dispute_delivered');
    assert.equal((await sendWebhook(pipeline.api, providerEvent('charge.dispute.created', dispute))).body.outcome, 'dispute_closed');
    assert.equal(await balanceOf(pipeline.api, apiKey), '7.990000');
  });

  test('a dispute closed (lost) before its created: taken back once, restricted until ops lift it', async () => {
    const { apiKey, accountId } = await customer();
    const order = await paidOrder(apiKey);
    const dispute = { id: `dp_${randomToken(12)}`, object: 'dispute', amount: 2000, currency: 'usd', status: 'lost', reason: 'fraudulent', payment_intent: paymentOf(order) };
    assert.equal((await sendWebhook(pipeline.api, providerEvent('charge.dispute.closed', dispute))).body.outcome, 'dispute_delivered');
    await eventually(async () => {
      const found = (await pipeline.api.request('GET', '/admin/disputes?status=lost&limit=100', ops())).body.data.find((item: { id: string }) => item.id === dispute.id);
      return found?.credit_taken === '20.000000' ? found : undefined;
    }, { description: 'the lost dispute' });
    const late = await sendWebhook(pipeline.api, providerEvent('charge.dispute.created', { ...dispute, status: 'needs_response' }));
    assert.equal(late.body.outcome, 'dispute_closed');
    assert.equal(await balanceOf(pipeline.api, apiKey), '0.000000');
    const unknown = await sendWebhook(pipeline.api, providerEvent('charge.dispute.created', { ...dispute, id: 'dp_unknown', payment_intent: 'pi_unknown' }));
    assert.equal(unknown.body.outcome, 'unknown_order');
    assert.equal((await consume(apiKey, '0.01')).body.error.code, 'account_restricted');
    const lifted = await pipeline.api.request('POST', `/admin/accounts/${accountId}/lift-restriction`, { ...ops(), body: { reason: 'debt settled by invoice' } });
    assert.equal(lifted.status, 200, lifted.text);
    assert.equal((await consume(apiKey, '0.01')).body.error.code, 'insufficient_balance');
  });
});

describe('bank transfer refunds and credit notes', () => {
  test('a bank transfer refund waits for ops to pay out and confirm, then succeeds with its credit note', async () => {
    const { apiKey } = await customer('CNY');
    const remitter = { remitter_name: 'Li Lei', bank_name: 'ICBC', agreement_accepted: true };
    const order = await createPendingOrder(pipeline.api, apiKey, { package_id: 'cny_100', payment_method: 'bank_transfer', bank_transfer: remitter });
    assert.equal((await pipeline.api.request('POST', `/admin/topups/${order.id}/start-review`, ops())).status, 200);
    const confirmed = await pipeline.api.request('POST', `/admin/topups/${order.id}/confirm-transfer`, { ...ops(), body: { amount_received: order.pay_amount, bank_reference: 'B-1' } });
    assert.equal(confirmed.status, 200, confirmed.text);
    await waitForOrder(pipeline.api, apiKey, order.id, ['succeeded']);
    const created = await requestRefund(apiKey, order.id, { amount: '10.00', reason: 'too much' });
    assert.equal(created.status, 201, created.text);
    const waiting = await waitForRefund(apiKey, created.body.id, ['processing']);
    assert.equal(waiting.credit_removed !== '0.000000', true);
    const early = await pipeline.api.request('POST', `/admin/refunds/${created.body.id}/confirm-payout`, { ...ops(), body: { bank_reference: 'PAYOUT-1' } });
    assert.equal(early.status, 200, early.text);
    assert.equal(early.body.status, 'succeeded');
    assert.equal(early.body.bank_reference, 'PAYOUT-1');
    const other = await pipeline.api.request('POST', `/admin/refunds/${created.body.id}/confirm-payout`, { ...ops(), body: { bank_reference: 'PAYOUT-2' } });
    assert.equal(other.body.error?.code, 'refund_not_awaiting_payout');
    await waitForRefund(apiKey, created.body.id, ['succeeded'], (refund) => refund.credit_note_number !== null);
  });

  test('credit note numbers stay gap-free and unique under concurrent issues', async () => {
    const { accountId } = await customer();
    const refundIds: string[] = [];
    for (let index = 0; index < 6; index += 1) {
      const input = stripeOrderInput(accountId);
      await insertOrderDirectly(pipeline.database.sql, input);
      await creditOrderDirectly(pipeline.database.sql, await paidSnapshotOf(pipeline.database.sql, input.orderId));
      const refundId = `rfd_${randomToken()}`;
      await pipeline.database.sql`
        insert into refunds (id, order_id, account_id, requested_by, status, currency, amount_micros, credit_removed_micros, reason, succeeded_at)
        values (${refundId}, ${input.orderId}, ${accountId}, 'ops', 'succeeded', 'USD', 1000000, 0, 'numbering', now())`;
      refundIds.push(refundId);
    }
    const issued = await Promise.all([...refundIds, ...refundIds].map((refundId) => allocateCreditNote(pipeline.database.sql, { refundId, issuer: testInvoiceSettings.issuer, issuedAt: new Date() })));
    const numbers = new Map(issued.map((result) => (result.outcome === 'issued' ? [result.creditNote.refund_id, result.creditNote.number] : ['', ''])));
    assert.equal(new Set(numbers.values()).size, refundIds.length);
    const year = new Date().getUTCFullYear();
    const sequence = await pipeline.database.sql<{ sequence_number: bigint }[]>`select sequence_number from credit_notes where year = ${year} order by sequence_number`;
    assert.deepEqual(sequence.map((row) => Number(row.sequence_number)), sequence.map((_, index) => index + 1));
  });
});
