// Bank transfer top-ups end to end over HTTP: the customer's order with the company's account and a
// transfer reference, and ops' review (start, confirm, reject) through the admin API, on the real
// Temporal dev server and Postgres, with mail delivered over SMTP to a local inbox.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkLedgerInvariants } from '../db/ledger/check-invariants.ts';
import { addressedTo, startMailInbox, type MailInbox } from '../dev/mail-inbox.ts';
import { transferReferencePattern } from '../domain/transfer-references.ts';
import { balanceOf, createTestAccount, createTestCustomer, testAdminToken, uniqueKey } from './support/api.ts';
import { createPendingOrder, createTopUp } from './support/orders.ts';
import { startTestPipeline, waitForOrderWorkflow, type OrderJson, type TestPipeline } from './support/pipeline.ts';
import { testOperatorToken } from './support/operators.ts';

const payee = {
  BANK_TRANSFER_BANK_NAME: 'China Merchants Bank, Shanghai Branch',
  BANK_TRANSFER_ACCOUNT_NAME: 'Refill Test (Shanghai) Ltd.',
  BANK_TRANSFER_ACCOUNT_NUMBER: '6214 8321 0000 1234',
};

let pipeline: TestPipeline;
let inbox: MailInbox;

before(async () => {
  inbox = await startMailInbox({ smtpPort: 0, webPort: null, storageDirectory: null });
  pipeline = await startTestPipeline({ environment: { SMTP_URL: inbox.smtpUrl, ...payee } });
});
after(async () => {
  await pipeline.close();
  await inbox.stop();
});

const remitter = { remitter_name: 'Li Lei', bank_name: 'ICBC Beijing', remarks: 'March top-up', agreement_accepted: true };

async function createBankOrder(apiKey: string, body: Record<string, unknown> = {}): Promise<OrderJson> {
  return createPendingOrder(pipeline.api, apiKey, { package_id: 'cny_100', payment_method: 'bank_transfer', bank_transfer: remitter, ...body });
}

function newCustomer() {
  return createTestCustomer(pipeline.api, 'CNY', 'bank');
}

function ops(method: string, path: string, body?: unknown, operator?: string) {
  return pipeline.api.request(method, path, {
    token: operator === undefined ? testAdminToken : testOperatorToken(operator),
    ...(body === undefined ? {} : { body }),
    ...(operator === undefined ? {} : { headers: { 'x-operator': operator } }),
  });
}

const startReview = (orderId: string, operator?: string) => ops('POST', `/admin/topups/${orderId}/start-review`, undefined, operator);
const confirm = (orderId: string, body: Record<string, unknown>, operator?: string) =>
  ops('POST', `/admin/topups/${orderId}/confirm-transfer`, body, operator);
const reject = (orderId: string, reason: string, operator?: string) =>
  ops('POST', `/admin/topups/${orderId}/reject-transfer`, { reason }, operator);

async function rechargesOf(orderId: string) {
  return pipeline.database.sql<{ id: bigint; metadata: Record<string, string> | null }[]>`
    select id, metadata from transfers where order_id = ${orderId} and flow_type = 'recharge'`;
}

async function actionsOf(orderId: string) {
  const response = await ops('GET', `/admin/topups/${orderId}`);
  assert.equal(response.status, 200, response.text);
  return response.body.actions as { action: string; actor: string; reason: string | null; payload: Record<string, string | null> }[];
}

describe('creating a bank transfer order', () => {
  test('returns the company account, a unique reference and a deadline at midnight Beijing time; a retry returns the same order', async () => {
    const customer = await newCustomer();
    const key = uniqueKey('create');
    const body = { package_id: 'cny_500', payment_method: 'bank_transfer', bank_transfer: remitter };
    const first = await createTopUp(pipeline.api, customer.apiKey, body, key);
    assert.equal(first.status, 201, first.text);
    const order = first.body as OrderJson & { bank_transfer: Record<string, string | null>; expires_at: string };
    assert.equal(order.status, 'pending');
    assert.equal(order.payment_method, 'bank_transfer');
    assert.deepEqual(
      [order.amount, order.bonus, order.credit, order.pay_amount],
      ['500.000000', '25.000000', '525.000000', '500.000000'],
    );
    assert.equal(order.checkout_url, null);
    assert.match(String(order.bank_transfer.reference), transferReferencePattern);
    assert.deepEqual(
      { ...order.bank_transfer, reference: 'checked' },
      {
        bank_name: payee.BANK_TRANSFER_BANK_NAME,
        account_name: payee.BANK_TRANSFER_ACCOUNT_NAME,
        account_number: payee.BANK_TRANSFER_ACCOUNT_NUMBER,
        reference: 'checked',
        remitter_name: 'Li Lei',
        remitter_bank_name: 'ICBC Beijing',
        remarks: 'March top-up',
      },
    );
    // Midnight in Beijing is 16:00 UTC; three business days are at least three days away.
    assert.match(order.expires_at, /T16:00:00\.000Z$/);
    assert.ok(Date.parse(order.expires_at) - Date.now() >= 3 * 24 * 60 * 60 * 1000);

    const retried = await createTopUp(pipeline.api, customer.apiKey, body, key);
    assert.equal(retried.status, 201);
    assert.equal(retried.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(retried.body, first.body);
    const otherRemitter = await createTopUp(pipeline.api, customer.apiKey, { ...body, bank_transfer: { ...remitter, remitter_name: 'Han Meimei' } }, key);
    assert.equal(otherRemitter.status, 409);
    assert.equal(otherRemitter.body.error.code, 'idempotency_key_reused');

    const read = await pipeline.api.request('GET', `/v1/topups/${order.id}`, { token: customer.apiKey });
    assert.deepEqual(read.body.bank_transfer, order.bank_transfer);
    const second = await createBankOrder(customer.apiKey, { package_id: undefined, amount: '50.00' });
    assert.notEqual((second.bank_transfer as { reference: string }).reference, order.bank_transfer.reference);
    assert.equal(second.credit, '50.000000');
  });

  test('concurrent creations with one key make one order with one reference', async () => {
    const customer = await newCustomer();
    const key = uniqueKey('race');
    const body = { amount: '88.00', payment_method: 'bank_transfer', bank_transfer: remitter };
    const responses = await Promise.all(Array.from({ length: 4 }, () => createTopUp(pipeline.api, customer.apiKey, body, key)));
    assert.deepEqual(responses.map((response) => response.status), [201, 201, 201, 201]);
    assert.equal(new Set(responses.map((response) => response.body.bank_transfer.reference)).size, 1);
    const [count] = await pipeline.database.sql<{ count: number }[]>`
      select count(*)::int as count from orders where account_id = ${customer.accountId}`;
    assert.equal(count!.count, 1);
  });

  test('missing or refused details are 422s naming the field; USD accounts cannot pay by bank transfer', async () => {
    const customer = await newCustomer();
    const { remitter_name: _name, ...withoutName } = remitter;
    const { bank_name: _bank, ...withoutBank } = remitter;
    const { agreement_accepted: _agreement, ...withoutAgreement } = remitter;
    const cases: [Record<string, unknown>, string, string][] = [
      [{ bank_transfer: withoutName }, 'missing_field', 'bank_transfer.remitter_name'],
      [{ bank_transfer: { ...remitter, remitter_name: '  ' } }, 'invalid_field', 'bank_transfer.remitter_name'],
      [{ bank_transfer: withoutBank }, 'missing_field', 'bank_transfer.bank_name'],
      [{ bank_transfer: { ...remitter, agreement_accepted: false } }, 'invalid_field', 'bank_transfer.agreement_accepted'],
      [{ bank_transfer: withoutAgreement }, 'missing_field', 'bank_transfer.agreement_accepted'],
      [{ bank_transfer: { ...remitter, remarks: 'x'.repeat(201) } }, 'invalid_field', 'bank_transfer.remarks'],
      [{ bank_transfer: undefined }, 'missing_field', 'bank_transfer'],
      [{ amount: '49.99', package_id: undefined }, 'amount_below_minimum', 'amount'],
    ];
    for (const [change, code, field] of cases) {
      const body = { package_id: 'cny_100', payment_method: 'bank_transfer', bank_transfer: remitter, ...change };
      const response = await createTopUp(pipeline.api, customer.apiKey, body);
      assert.equal(response.status, 422, `${JSON.stringify(change)}: ${response.text}`);
      assert.deepEqual([response.body.error.code, response.body.error.field], [code, field], JSON.stringify(change));
    }
    // A field of another payment method is refused, never dropped: bank details on a card order, return
    // URLs on a bank transfer.
    const misplaced: Record<string, unknown>[] = [
      { package_id: 'cny_100', payment_method: 'stripe', bank_transfer: remitter },
      { package_id: 'cny_100', payment_method: 'bank_transfer', bank_transfer: remitter, success_url: 'http://localhost/ok' },
    ];
    for (const body of misplaced) {
      const response = await createTopUp(pipeline.api, customer.apiKey, body);
      assert.equal(response.status, 400, `${JSON.stringify(body)}: ${response.text}`);
      assert.equal(response.body.error.code, 'invalid_request');
    }
    const usd = await createTestAccount(pipeline.api, 'USD');
    const refused = await createTopUp(pipeline.api, usd.apiKey, { amount: '100.00', payment_method: 'bank_transfer', bank_transfer: remitter });
    assert.equal(refused.status, 422);
    assert.deepEqual([refused.body.error.code, refused.body.error.field], ['payment_method_unavailable', 'payment_method']);
    const [count] = await pipeline.database.sql<{ count: number }[]>`
      select count(*)::int as count from orders where account_id in (${customer.accountId}, ${usd.accountId})`;
    assert.equal(count!.count, 0);
  });

  test('a Stripe order has no bank transfer details', async () => {
    const customer = await newCustomer();
    const response = await createTopUp(pipeline.api, customer.apiKey, { amount: '20.00', payment_method: 'stripe' });
    assert.equal(response.status, 201, response.text);
    assert.equal(response.body.bank_transfer, null);
    // Ops see every order, but review only bank transfers.
    const opsView = await ops('GET', `/admin/topups/${response.body.id}`);
    assert.equal(opsView.status, 200);
    assert.equal(opsView.body.bank_transfer, null);
    const review = await ops('POST', `/admin/topups/${response.body.id}/start-review`);
    assert.equal(review.status, 404, 'ops review only bank transfer orders');
  });
});

describe('the customer', () => {
  test('can see the payment instructions again and cancel while pending; ops can then no longer review it', async () => {
    const customer = await newCustomer();
    const order = await createBankOrder(customer.apiKey);
    const resumed = await pipeline.api.request('POST', `/v1/topups/${order.id}/resume`, { token: customer.apiKey });
    assert.equal(resumed.status, 200, resumed.text);
    assert.deepEqual(resumed.body.bank_transfer, order.bank_transfer);
    const cancelled = await pipeline.api.request('POST', `/v1/topups/${order.id}/cancel`, { token: customer.apiKey });
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(cancelled.body.status, 'cancelled');
    const review = await startReview(order.id);
    assert.equal(review.status, 409);
    assert.equal(review.body.error.code, 'order_not_reviewable');
    const confirmation = await confirm(order.id, { amount_received: '100.00', bank_reference: 'B-1' });
    assert.equal(confirmation.body.error.code, 'order_not_in_review');
    assert.deepEqual(
      (await actionsOf(order.id)).map((action) => [action.action, action.actor]),
      [['cancel', 'customer']],
    );
  });

  test('cannot cancel once ops have started the review', async () => {
    const customer = await newCustomer();
    const order = await createBankOrder(customer.apiKey);
    const review = await startReview(order.id, 'alice');
    assert.equal(review.status, 200, review.text);
    assert.equal(review.body.status, 'processing');
    const again = await startReview(order.id, 'bob');
    assert.equal(again.status, 200, 'starting a review twice is a repeat, not an error');
    assert.equal(again.body.status, 'processing');
    const cancel = await pipeline.api.request('POST', `/v1/topups/${order.id}/cancel`, { token: customer.apiKey });
    assert.equal(cancel.status, 409);
    assert.equal(cancel.body.error.code, 'order_not_cancellable');
    const resume = await pipeline.api.request('POST', `/v1/topups/${order.id}/resume`, { token: customer.apiKey });
    assert.equal(resume.body.error.code, 'order_not_resumable');
    assert.deepEqual((await actionsOf(order.id)).map((action) => [action.action, action.actor]), [['start_review', 'alice']]);
  });
});

describe('the ops view', () => {
  test('lists open bank transfers oldest first with remitter, reference and age, page by page; admins only', async () => {
    const customer = await newCustomer();
    const created: OrderJson[] = [];
    for (let index = 0; index < 3; index += 1) created.push(await createBankOrder(customer.apiKey));
    const seen: { id: string; created_at: string; age_seconds: number; customer_email: string; bank_transfer: { reference: string; remitter_name: string } }[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page += 1) {
      const query: string = `/admin/topups?payment_method=bank_transfer&status=pending&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`;
      const response = await ops('GET', query);
      assert.equal(response.status, 200, response.text);
      assert.ok(response.body.data.length <= 2);
      seen.push(...response.body.data);
      cursor = response.body.next_cursor;
      if (cursor === null) break;
    }
    const mine = seen.filter((order) => created.some((candidate) => candidate.id === order.id));
    assert.deepEqual(mine.map((order) => order.id), created.map((order) => order.id));
    for (const order of mine) {
      assert.equal(order.customer_email, customer.email);
      assert.equal(order.bank_transfer.remitter_name, 'Li Lei');
      assert.match(order.bank_transfer.reference, transferReferencePattern);
      assert.ok(Number.isInteger(order.age_seconds) && order.age_seconds >= 0);
    }
    const times = seen.map((order) => Date.parse(order.created_at));
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'oldest first');
    assert.ok(seen.every((order) => (order as unknown as { status: string }).status === 'pending'));

    const byReference = await ops('GET', `/admin/topups?reference=${mine[1]!.bank_transfer.reference.toLowerCase().replace(/-/g, ' ')}`);
    assert.deepEqual(byReference.body.data.map((order: OrderJson) => order.id), [created[1]!.id]);
    // In review, an order leaves the pending list and shows among the open ones.
    await startReview(created[0]!.id);
    const reference = mine[0]!.bank_transfer.reference;
    const open = await ops('GET', `/admin/topups?payment_method=bank_transfer&status=pending,processing&reference=${reference}`);
    assert.deepEqual(open.body.data.map((order: OrderJson) => [order.id, order.status]), [[created[0]!.id, 'processing']]);
    const pendingOnly = await ops('GET', `/admin/topups?status=pending&reference=${reference}`);
    assert.deepEqual(pendingOnly.body.data, []);
    const badStatus = await ops('GET', '/admin/topups?status=pending,paid');
    assert.deepEqual([badStatus.status, badStatus.body.error.code, badStatus.body.error.field], [400, 'invalid_query_parameter', 'status']);
    const badReference = await ops('GET', '/admin/topups?reference=RF-12');
    assert.equal(badReference.body.error.code, 'invalid_query_parameter');
    const asCustomer = await pipeline.api.request('GET', '/admin/topups', { token: customer.apiKey });
    assert.equal(asCustomer.status, 403);
  });
});

describe('confirming a transfer', () => {
  test('is refused before the review starts; two concurrent confirmations credit once; a repeat returns the same order', async () => {
    const customer = await newCustomer();
    const order = await createBankOrder(customer.apiKey);
    const early = await confirm(order.id, { amount_received: '100.00', bank_reference: 'CMB-1' });
    assert.equal(early.status, 409);
    assert.equal(early.body.error.code, 'order_not_in_review');
    assert.equal((await startReview(order.id, 'alice')).status, 200);

    const body = { amount_received: '100.00', bank_reference: 'CMB-20261120-0001' };
    const [first, second] = await Promise.all([confirm(order.id, body, 'bob'), confirm(order.id, body, 'carol')]);
    assert.deepEqual([first.status, second.status], [200, 200], `${first.text} ${second.text}`);
    assert.equal(first.body.status, 'succeeded');
    assert.equal(second.body.status, 'succeeded');
    assert.equal(first.body.credited_at, second.body.credited_at);
    assert.equal(await balanceOf(pipeline.api, customer.apiKey), '100.000000');
    assert.equal((await rechargesOf(order.id)).length, 1);
    assert.deepEqual(await checkLedgerInvariants(pipeline.database.sql), []);

    const different = await confirm(order.id, { ...body, bank_reference: 'CMB-20261120-0002' });
    assert.equal(different.status, 409);
    assert.equal(different.body.error.code, 'order_already_reviewed');
    const rejection = await reject(order.id, 'duplicate');
    assert.equal(rejection.body.error.code, 'order_already_reviewed');

    // Once the workflow has finished, the same confirmation is still a repeat, answered from the database.
    await waitForOrderWorkflow(pipeline.api, order.id);
    const late = await confirm(order.id, body, 'dave');
    assert.equal(late.status, 200, late.text);
    assert.equal(late.body.status, 'succeeded');
    assert.equal(late.body.credited_at, first.body.credited_at);
    assert.equal((await startReview(order.id)).status, 200);
    assert.equal((await confirm(order.id, { ...body, amount_received: '99.00' })).body.error.code, 'order_already_reviewed');
    assert.equal((await rechargesOf(order.id)).length, 1);
    assert.equal(await balanceOf(pipeline.api, customer.apiKey), '100.000000');

    const actions = await actionsOf(order.id);
    assert.deepEqual(actions.map((action) => action.action), ['start_review', 'confirm_transfer']);
    assert.ok(['bob', 'carol'].includes(actions[1]!.actor));
    assert.deepEqual(actions[1]!.payload, { amount_received: '100.000000', bank_reference: 'CMB-20261120-0001', corrected_credit: null });
  });

  test('an amount other than the pay amount is refused, unless a corrected credit is given with a reason', async () => {
    const customer = await newCustomer();
    const order = await createBankOrder(customer.apiKey, { package_id: 'cny_500' });
    await startReview(order.id);
    const mismatch = await confirm(order.id, { amount_received: '480.00', bank_reference: 'ICBC-77' });
    assert.equal(mismatch.status, 422);
    assert.deepEqual([mismatch.body.error.code, mismatch.body.error.field], ['amount_mismatch', 'amount_received']);
    const noReason = await confirm(order.id, { amount_received: '480.00', bank_reference: 'ICBC-77', corrected_credit: '504.00' });
    assert.deepEqual([noReason.status, noReason.body.error.code, noReason.body.error.field], [422, 'missing_field', 'reason']);
    const tooPrecise = await confirm(order.id, { amount_received: '480.001', bank_reference: 'ICBC-77' });
    assert.equal(tooPrecise.body.error.code, 'amount_too_precise');

    const reason = 'Bank fee of 20 CNY deducted; bonus kept at 5%';
    const corrected = await confirm(
      order.id,
      { amount_received: '480.00', bank_reference: 'ICBC-77', corrected_credit: '504.00', reason },
      'erin',
    );
    assert.equal(corrected.status, 200, corrected.text);
    assert.equal(corrected.body.status, 'succeeded');
    assert.equal(await balanceOf(pipeline.api, customer.apiKey), '504.000000');

    // Balanced: the balance gets 504, payment clearing gives the 480 received, promotional the other 24.
    const [recharge] = await rechargesOf(order.id);
    assert.deepEqual(recharge!.metadata, {
      amount_received: '480.000000',
      quoted_credit: '525.000000',
      corrected_credit: '504.000000',
      correction_reason: reason,
    });
    const legs = await pipeline.database.sql<{ kind: string; amount_micros: bigint }[]>`
      select l.kind, e.amount_micros from entries e join ledger_accounts l on l.id = e.ledger_account_id
      where e.transfer_id = ${recharge!.id.toString()} order by l.kind`;
    assert.deepEqual(
      legs.map((leg) => [leg.kind, leg.amount_micros]),
      [['customer_balance', 504_000_000n], ['payment_clearing', -480_000_000n], ['promotional', -24_000_000n]],
    );
    assert.deepEqual(await checkLedgerInvariants(pipeline.database.sql), []);
    const [confirmation] = (await actionsOf(order.id)).filter((action) => action.action === 'confirm_transfer');
    assert.equal(confirmation!.actor, 'erin');
    assert.equal(confirmation!.reason, reason);
    assert.deepEqual(confirmation!.payload, { amount_received: '480.000000', bank_reference: 'ICBC-77', corrected_credit: '504.000000' });
  });
});

describe('rejecting a transfer', () => {
  test('fails the order with the reason, emails the reason to the customer, and credits nothing', async () => {
    const customer = await newCustomer();
    const order = await createBankOrder(customer.apiKey);
    await startReview(order.id, 'alice');
    const reason = 'No transfer with this reference reached our account within 3 business days.';
    const rejected = await reject(order.id, reason, 'frank');
    assert.equal(rejected.status, 200, rejected.text);
    assert.equal(rejected.body.status, 'failed');
    assert.equal(rejected.body.failure_reason, reason);

    const mail = await inbox.waitForMessage((candidate) => addressedTo(customer.email)(candidate) && /not confirmed/.test(candidate.parsed.subject ?? ''), 20_000);
    const reference = (order.bank_transfer as { reference: string }).reference;
    assert.match(mail.parsed.subject ?? '', new RegExp(reference));
    assert.ok((mail.parsed.text ?? '').includes(reason), mail.parsed.text);
    // Having said the transfer failed, it does not show the account to pay into again.
    assert.ok(!(mail.parsed.text ?? '').includes(payee.BANK_TRANSFER_ACCOUNT_NUMBER), mail.parsed.text);
    // The instructions went out once when the order was created: the account, the amount and the reference.
    const instructions = inbox.messages().filter((candidate) => addressedTo(customer.email)(candidate) && /^Transfer /.test(candidate.parsed.subject ?? ''));
    assert.equal(instructions.length, 1);
    for (const expected of [payee.BANK_TRANSFER_ACCOUNT_NUMBER, payee.BANK_TRANSFER_ACCOUNT_NAME, reference, '100.00 CNY']) {
      assert.ok((instructions[0]!.parsed.text ?? '').includes(expected), instructions[0]!.parsed.text);
    }

    assert.equal(await balanceOf(pipeline.api, customer.apiKey), '0.000000');
    assert.equal((await rechargesOf(order.id)).length, 0);
    const repeat = await reject(order.id, reason);
    assert.equal(repeat.status, 200);
    assert.equal(repeat.body.status, 'failed');
    const confirmation = await confirm(order.id, { amount_received: '100.00', bank_reference: 'B-9' });
    assert.equal(confirmation.body.error.code, 'order_already_reviewed');
    const read = await pipeline.api.request('GET', `/v1/topups/${order.id}`, { token: customer.apiKey });
    assert.equal(read.body.status, 'failed');
    assert.deepEqual(
      (await actionsOf(order.id)).map((action) => [action.action, action.actor, action.reason]),
      [['start_review', 'alice', null], ['reject_transfer', 'frank', reason]],
    );
  });
});

describe('the record of ops actions', () => {
  test('cannot be changed or deleted', async () => {
    const customer = await newCustomer();
    const order = await createBankOrder(customer.apiKey);
    await startReview(order.id);
    const [row] = await pipeline.database.sql<{ actor: string }[]>`select actor from order_actions where order_id = ${order.id}`;
    assert.equal(row!.actor, 'admin', 'without X-Operator the actor is admin');
    await assert.rejects(
      pipeline.database.sql`update order_actions set actor = 'mallory' where order_id = ${order.id}`,
      (error: unknown) => (error as { code?: string }).code === 'RF920',
    );
    await assert.rejects(
      pipeline.database.sql`delete from order_actions where order_id = ${order.id}`,
      (error: unknown) => (error as { code?: string }).code === 'RF920',
    );
    const badOperator = await pipeline.api.request('POST', `/admin/topups/${order.id}/start-review`, {
      token: testAdminToken,
      headers: { 'x-operator': 'x'.repeat(101) },
    });
    assert.deepEqual([badOperator.status, badOperator.body.error.field], [422, 'X-Operator']);
  });
});
