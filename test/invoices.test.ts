// Invoices end to end: real Temporal, Postgres and stripe-mock, and a real SMTP server (the local
// mail inbox) whose received mail is parsed and compared with what the API serves.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { allocateInvoice } from '../db/invoices/allocate-invoice.ts';
import { claimInvoiceEmail } from '../db/invoices/claim-invoice-email.ts';
import { getOrderRow } from '../db/orders/get-order.ts';
import { snapshotFromRow } from '../db/orders/order-row.ts';
import { addressedTo, startMailInbox, type MailInbox, type ReceivedMail } from '../dev/mail-inbox.ts';
import { freePort } from '../dev/ports.ts';
import { invoiceMessageId } from '../domain/invoices.ts';
import { formatMicros } from '../domain/money.ts';
import type { OrderSnapshot } from '../domain/orders.ts';
import { invoiceEmailFailedKey } from '../domain/search-attributes.ts';
import { randomToken } from '../ids/ids.ts';
import { createLogger } from '../observability/logger.ts';
import { invoiceSettings } from '../worker/invoice-settings.ts';
import { createMailTransport } from '../worker/mail-transport.ts';
import { createPaymentProvider } from '../worker/payment-provider.ts';
import type { InvoiceStepOptions } from '../workflows/invoice-step.ts';
import { balanceOf, createTestCustomer } from './support/api.ts';
import { testTemporalAddress } from './support/environment.ts';
import { eventually } from './support/eventually.ts';
import { invoiceStepWorkflow, wholePaperworkWorkflow } from './support/invoice-step-workflow.ts';
import { createPendingOrder, creditOrderDirectly, paidEvent, paidSnapshotOf } from './support/orders.ts';
import { sendWebhook, startTestPipeline, waitForOrder, waitForOrderWorkflow, workflowBundle, type OrderJson, type TestPipeline } from './support/pipeline.ts';

/** Long enough for payment, credit, PDF and a loopback delivery on a slow machine. */
const mailTimeoutMilliseconds = 30_000;
const thisYear = new Date().getUTCFullYear();
const testLogLevel = process.env.REFILL_TEST_LOG_LEVEL ?? 'silent';

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

/** A customer with an address of its own, so each test finds its mail in the shared inbox. */
function newCustomer() {
  return createTestCustomer(pipeline.api, 'USD', 'invoice');
}

/** Pays the order through a signed webhook and waits for its invoice's email. */
async function payAndReceiveInvoice(order: OrderJson, email: string): Promise<ReceivedMail> {
  const arrival = inbox.waitForMessage(addressedTo(email), mailTimeoutMilliseconds);
  const delivered = await sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, order));
  assert.equal(delivered.status, 200, delivered.text);
  return arrival;
}

/** Polls the order until the API shows its invoice number. */
async function waitForInvoicedOrder(apiKey: string, orderId: string): Promise<OrderJson & { invoice_number: string; invoice_url: string }> {
  const invoiced = await waitForOrder(pipeline.api, apiKey, orderId, ['succeeded'], {
    until: (order) => order.invoice_number !== null,
    timeoutMilliseconds: mailTimeoutMilliseconds,
  });
  return invoiced as OrderJson & { invoice_number: string; invoice_url: string };
}

interface InvoiceState {
  number: string;
  email_status: string;
  email_message_id: string | null;
  email_failure: string | null;
}

async function invoiceState(orderId: string): Promise<InvoiceState | null> {
  const [row] = await pipeline.database.sql<InvoiceState[]>`
    select number, email_status, email_message_id, email_failure from invoices where order_id = ${orderId}`;
  return row ?? null;
}

/** Polls the invoice row until its email status is the wanted one (the record follows the delivery). */
async function waitForEmailStatus(orderId: string, status: string): Promise<InvoiceState> {
  return eventually(
    async () => {
      const state = await invoiceState(orderId);
      if (state?.email_status === status) return state;
      throw new Error(`the invoice is ${JSON.stringify(state)}`);
    },
    { description: `the invoice of ${orderId} to reach email status ${status}`, timeoutMilliseconds: mailTimeoutMilliseconds },
  );
}

/** GET /v1/topups/{id}/invoice, keeping the body as bytes. */
async function downloadInvoice(apiKey: string, orderId: string) {
  const response = await fetch(`${pipeline.api.baseUrl}/v1/topups/${orderId}/invoice`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

function mailsTo(email: string): ReceivedMail[] {
  return inbox.messages().filter(addressedTo(email));
}

describe('issuing and sending', () => {
  test('a paid order gets a numbered invoice, downloadable by its owner and emailed with the same PDF', async () => {
    const customer = await newCustomer();
    const stranger = await newCustomer();
    const order = await createPendingOrder(pipeline.api, customer.apiKey, { package_id: 'usd_100', payment_method: 'stripe' });
    assert.equal(order.invoice_number, null);
    assert.equal(order.invoice_url, null);
    const early = await pipeline.api.request('GET', `/v1/topups/${order.id}/invoice`, { token: customer.apiKey });
    assert.equal(early.status, 409, early.text);
    assert.equal(early.body.error.code, 'invoice_not_ready');

    const mail = await payAndReceiveInvoice(order, customer.email);
    const invoiced = await waitForInvoicedOrder(customer.apiKey, order.id);
    const number = invoiced.invoice_number;
    assert.match(number, new RegExp(`^RF-${thisYear}-\\d{6}$`));
    assert.equal(invoiced.invoice_url, `${pipeline.api.baseUrl}/v1/topups/${order.id}/invoice`);

    const download = await downloadInvoice(customer.apiKey, order.id);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('content-type'), 'application/pdf');
    assert.equal(download.headers.get('content-disposition'), `attachment; filename="${number}.pdf"`);
    assert.equal(download.bytes.subarray(0, 5).toString('latin1'), '%PDF-');

    assert.equal(mail.parsed.subject, `Your Refill invoice ${number}`);
    assert.equal(mail.parsed.messageId, invoiceMessageId(number, pipeline.api.config.mail.from));
    assert.equal(mail.parsed.attachments.length, 1);
    const [attachment] = mail.parsed.attachments;
    assert.equal(attachment!.filename, `${number}.pdf`);
    assert.equal(attachment!.contentType, 'application/pdf');
    assert.ok(attachment!.content.equals(download.bytes), 'the emailed PDF differs from the downloaded one');
    // usd_100: 100.00 paid, 5.00 bonus, 105.00 credited onto an empty balance.
    const text = mail.parsed.text ?? '';
    for (const expected of ['Amount paid: 100.00 USD', 'Credit added: 105.00 USD', 'New balance: 105.00 USD', order.id, invoiced.invoice_url]) {
      assert.ok(text.includes(expected), `the text body does not mention ${expected}:\n${text}`);
    }
    const html = typeof mail.parsed.html === 'string' ? mail.parsed.html : '';
    for (const expected of ['105.00 USD', order.id, invoiced.invoice_url]) {
      assert.ok(html.includes(expected), `the HTML body does not mention ${expected}`);
    }

    const foreign = await pipeline.api.request('GET', `/v1/topups/${order.id}/invoice`, { token: stranger.apiKey });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error.code, 'not_found');

    const sent = await waitForEmailStatus(order.id, 'sent');
    assert.equal(sent.email_message_id, mail.parsed.messageId);
    // Only the order's workflow sends the invoice: once it has finished, no second email can follow.
    await waitForOrderWorkflow(pipeline.api, order.id);
    assert.equal(mailsTo(customer.email).length, 1);
    assert.equal(await balanceOf(pipeline.api, customer.apiKey), '105.000000');
  });

  test('invoices are listed newest first, a page at a time, with a cursor bound to the account', async () => {
    const customer = await newCustomer();
    const stranger = await newCustomer();
    const orderIds: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const order = await createPendingOrder(pipeline.api, customer.apiKey);
      await payAndReceiveInvoice(order, customer.email);
      await waitForInvoicedOrder(customer.apiKey, order.id);
      orderIds.push(order.id);
    }
    const firstPage = await pipeline.api.request('GET', '/v1/invoices?limit=2', { token: customer.apiKey });
    assert.equal(firstPage.status, 200, firstPage.text);
    assert.deepEqual(firstPage.body.data.map((invoice: { order_id: string }) => invoice.order_id), [orderIds[2], orderIds[1]]);
    const newest = firstPage.body.data[0];
    assert.deepEqual(Object.keys(newest).sort(), [
      'amount', 'bonus', 'credit', 'currency', 'discount', 'email_status', 'issued_at', 'number', 'order_id', 'pay_amount', 'url',
    ]);
    assert.deepEqual(
      { currency: newest.currency, amount: newest.amount, discount: newest.discount, pay: newest.pay_amount, bonus: newest.bonus, credit: newest.credit },
      { currency: 'USD', amount: '20.000000', discount: '0.000000', pay: '20.000000', bonus: '0.000000', credit: '20.000000' },
    );
    assert.equal(newest.url, `${pipeline.api.baseUrl}/v1/topups/${orderIds[2]}/invoice`);
    assert.ok(['pending', 'sending', 'sent'].includes(newest.email_status));
    assert.ok(newest.number > firstPage.body.data[1].number, 'a newer invoice has a higher number');

    const secondPage = await pipeline.api.request('GET', `/v1/invoices?limit=2&cursor=${firstPage.body.next_cursor}`, { token: customer.apiKey });
    assert.deepEqual(secondPage.body.data.map((invoice: { order_id: string }) => invoice.order_id), [orderIds[0]]);
    assert.equal(secondPage.body.next_cursor, null);

    const foreignCursor = await pipeline.api.request('GET', `/v1/invoices?cursor=${firstPage.body.next_cursor}`, { token: stranger.apiKey });
    assert.equal(foreignCursor.status, 400);
    assert.equal(foreignCursor.body.error.code, 'invalid_cursor');
    const strangersList = await pipeline.api.request('GET', '/v1/invoices', { token: stranger.apiKey });
    assert.deepEqual(strangersList.body, { data: [], next_cursor: null });
    const badLimit = await pipeline.api.request('GET', '/v1/invoices?limit=0', { token: customer.apiKey });
    assert.equal(badLimit.body.error.code, 'invalid_query_parameter');
  });
});

describe('crashes and retries', () => {
  test('an invoice numbered just before a worker crash is finished by the retry: one number, one PDF, one email', async () => {
    const customer = await newCustomer();
    const order = await createPendingOrder(pipeline.api, customer.apiKey);
    const event = await paidEvent(pipeline.database.sql, order);
    const arrival = inbox.waitForMessage(addressedTo(customer.email), mailTimeoutMilliseconds);
    let preallocated: string;
    await pipeline.stopWorker();
    try {
      assert.equal((await sendWebhook(pipeline.api, event)).status, 200);
      // What a crash in the middle of the invoice step leaves behind: the credit committed, the
      // invoice numbered and recorded, its PDF not yet stored, and a workflow that knows none of it.
      await creditOrderDirectly(pipeline.database.sql, await paidSnapshotOf(pipeline.database.sql, order.id));
      const allocation = await allocateInvoice(pipeline.database.sql, {
        orderId: order.id,
        issuer: invoiceSettings(pipeline.api.config).issuer,
        issuedAt: new Date(),
      });
      assert.equal(allocation.outcome, 'issued');
      preallocated = allocation.outcome === 'issued' ? allocation.invoice.number : '';
      const unfinished = await downloadInvoice(customer.apiKey, order.id);
      assert.equal(unfinished.status, 409, 'a numbered invoice without its PDF is not served');
    } finally {
      await pipeline.startWorker();
    }

    const mail = await arrival;
    const invoiced = await waitForInvoicedOrder(customer.apiKey, order.id);
    assert.equal(invoiced.invoice_number, preallocated);
    await waitForEmailStatus(order.id, 'sent');
    const download = await downloadInvoice(customer.apiKey, order.id);
    assert.ok(mail.parsed.attachments[0]!.content.equals(download.bytes));

    const sql = pipeline.database.sql;
    const [forOrder] = await sql<{ invoices: number; recharges: number }[]>`
      select (select count(*)::int from invoices where order_id = ${order.id}) as invoices,
             (select count(*)::int from transfers where order_id = ${order.id}) as recharges`;
    assert.deepEqual(forOrder, { invoices: 1, recharges: 1 });
    // No gap anywhere in the series: as many invoices as the counter has handed out numbers.
    const [series] = await sql<{ invoices: number; highest: string; last_number: string }[]>`
      select count(*)::int as invoices, max(sequence_number)::text as highest,
             (select last_number::text from invoice_counters where issuer = 'RF' and year = ${thisYear}) as last_number
      from invoices where issuer = 'RF' and year = ${thisYear}`;
    assert.equal(String(series!.invoices), series!.highest);
    assert.equal(series!.highest, series!.last_number);
    await waitForOrderWorkflow(pipeline.api, order.id);
    assert.equal(mailsTo(customer.email).length, 1);
  });

  test('an email recorded as sent is not sent again; one whose record was lost is resent with the same Message-ID', async () => {
    const customer = await newCustomer();
    const order = await createPendingOrder(pipeline.api, customer.apiKey);
    const first = await payAndReceiveInvoice(order, customer.email);
    await waitForEmailStatus(order.id, 'sent');
    const mailTransport = createMailTransport(pipeline.api.config.mail);
    const activities = createActivities({
      sql: pipeline.database.sql,
      paymentProvider: createPaymentProvider(pipeline.api.config, pipeline.database.sql),
      logger: createLogger('refill-invoice-test', testLogLevel),
      mailTransport,
      invoices: invoiceSettings(pipeline.api.config),
    });
    try {
      // A retried activity after the record: nothing is sent.
      const retried = await activities.sendInvoiceEmail({ orderId: order.id, balanceAfter: '20.000000' });
      assert.deepEqual(retried, { messageId: first.parsed.messageId, alreadySent: true });

      // A crash between the delivery and its record: the retry sends again, under the same Message-ID.
      await pipeline.database.sql`
        update invoices set email_status = 'pending', email_message_id = null, email_sent_at = null
        where order_id = ${order.id}`;
      const secondArrival = inbox.waitForMessage((mail) => addressedTo(customer.email)(mail) && mail.id !== first.id, mailTimeoutMilliseconds);
      const resent = await activities.sendInvoiceEmail({ orderId: order.id, balanceAfter: '20.000000' });
      assert.equal(resent.alreadySent, false);
      const second = await secondArrival;
      assert.equal(second.parsed.messageId, first.parsed.messageId);
      assert.equal((await invoiceState(order.id))?.email_status, 'sent');
    } finally {
      mailTransport.close();
    }
  });
});

describe('outages', () => {
  /** The invoice step alone, run with short retry policies so a test sees the end of an outage. */
  const shortRetries: InvoiceStepOptions = {
    issue: { startToCloseTimeout: '10 seconds', retry: { initialInterval: '100 milliseconds', backoffCoefficient: 1, maximumAttempts: 3 } },
    email: { startToCloseTimeout: '10 seconds', retry: { initialInterval: '200 milliseconds', backoffCoefficient: 1, maximumAttempts: 3 } },
  };
  const stepTaskQueue = `refill-invoice-step-${randomToken(8)}`;
  let stepWorker: Worker;
  let stepWorkerRunning: Promise<void>;
  let stepConnection: NativeConnection;
  let unreachableMail: ReturnType<typeof createMailTransport>;

  before(async () => {
    // Nothing listens on this port: every delivery is refused, as with a mail server that is down.
    unreachableMail = createMailTransport({ smtpUrl: `smtp://127.0.0.1:${await freePort()}`, from: pipeline.api.config.mail.from });
    stepConnection = await NativeConnection.connect({ address: testTemporalAddress() });
    stepWorker = await Worker.create({
      connection: stepConnection,
      namespace: pipeline.api.config.temporal.namespace,
      taskQueue: stepTaskQueue,
      workflowBundle: await workflowBundle(fileURLToPath(new URL('./support/invoice-step-workflow.ts', import.meta.url))),
      activities: createActivities({
        sql: pipeline.database.sql,
        paymentProvider: createPaymentProvider(pipeline.api.config, pipeline.database.sql),
        logger: createLogger('refill-invoice-step-test', testLogLevel),
        mailTransport: unreachableMail,
        invoices: invoiceSettings(pipeline.api.config),
      }),
    });
    stepWorkerRunning = stepWorker.run();
  });
  after(async () => {
    stepWorker.shutdown();
    await stepWorkerRunning;
    await stepConnection.close();
    unreachableMail.close();
  });

  /** An order credited as its payment would credit it, and the balance right after. */
  async function creditedOrder(apiKey: string): Promise<{ snapshot: OrderSnapshot; balanceAfter: string }> {
    const order = await createPendingOrder(pipeline.api, apiKey);
    const paid = await paidSnapshotOf(pipeline.database.sql, order.id);
    const credit = await creditOrderDirectly(pipeline.database.sql, paid);
    return { snapshot: { ...paid, status: 'succeeded', creditedAt: credit.creditedAt.toISOString() }, balanceAfter: formatMicros(credit.balanceAfterMicros) };
  }

  function runInvoiceStep(snapshot: OrderSnapshot, balanceAfter: string) {
    return pipeline.api.temporalClient.workflow.start(invoiceStepWorkflow, {
      taskQueue: stepTaskQueue,
      workflowId: `invoice-step-${snapshot.orderId}`,
      args: [snapshot, balanceAfter, shortRetries],
    });
  }

  test('with the mail server down the credit stands, the invoice is issued, and the failed email is recorded and flagged', async () => {
    const customer = await newCustomer();
    const { snapshot, balanceAfter } = await creditedOrder(customer.apiKey);
    const handle = await runInvoiceStep(snapshot, balanceAfter);

    const result = await handle.result();
    assert.equal(result.outcome, 'email_failed');
    assert.match(result.outcome === 'email_failed' ? result.reason : '', /ECONNREFUSED/);
    const description = await handle.describe();
    assert.equal(description.status.name, 'COMPLETED', 'a failed email does not fail the workflow');
    assert.equal(description.typedSearchAttributes.get(invoiceEmailFailedKey), true);

    assert.equal(await balanceOf(pipeline.api, customer.apiKey), '20.000000');
    const download = await downloadInvoice(customer.apiKey, snapshot.orderId);
    assert.equal(download.status, 200);
    const state = await invoiceState(snapshot.orderId);
    assert.equal(state?.email_status, 'failed');
    assert.equal(state?.email_message_id, null);
    assert.match(state?.email_failure ?? '', /ECONNREFUSED/);
    const listed = await pipeline.api.request('GET', '/v1/invoices', { token: customer.apiKey });
    assert.equal(listed.body.data[0].email_status, 'failed');
    assert.equal(mailsTo(customer.email).length, 0);
  });

  test('an order that cannot be invoiced is flagged for a person, and the step still completes', async () => {
    const customer = await newCustomer();
    const pending = await createPendingOrder(pipeline.api, customer.apiKey);
    const row = await getOrderRow(pipeline.database.sql, pending.id, null);
    // Not credited: the issuing activity refuses it for good.
    const handle = await runInvoiceStep(snapshotFromRow(row!), '0.000000');
    const result = await handle.result();
    assert.equal(result.outcome, 'not_issued');
    assert.equal((await handle.describe()).typedSearchAttributes.get(invoiceEmailFailedKey), true);
    assert.equal(await invoiceState(pending.id), null);
  });

  /** The whole paperwork as one activity (hosted checkout orders), retried every 300 ms. */
  function runWholePaperwork(snapshot: OrderSnapshot, balanceAfter: string, emailRetrySeconds: number) {
    const options = { startToCloseTimeout: '10 seconds', retry: { initialInterval: '300 milliseconds', backoffCoefficient: 1, maximumAttempts: 30 } } as const;
    return pipeline.api.temporalClient.workflow.start(wholePaperworkWorkflow, {
      taskQueue: stepTaskQueue,
      workflowId: `whole-paperwork-${snapshot.orderId}`,
      args: [snapshot, balanceAfter, emailRetrySeconds, options],
    });
  }

  /** The attempt that completed the workflow's one activity. */
  async function completedActivityAttempt(handle: Awaited<ReturnType<typeof runWholePaperwork>>): Promise<number> {
    const history = await handle.fetchHistory();
    const started = (history.events ?? []).find((event) => event.activityTaskStartedEventAttributes != null);
    return started?.activityTaskStartedEventAttributes?.attempt ?? 0;
  }

  test('in one paperwork activity, an email that keeps failing is retried for its retry time, then recorded failed and flagged', async () => {
    const customer = await newCustomer();
    const { snapshot, balanceAfter } = await creditedOrder(customer.apiKey);
    const handle = await runWholePaperwork(snapshot, balanceAfter, 2);

    const { invoice } = await handle.result();
    assert.equal(invoice.outcome, 'email_failed');
    assert.match(invoice.outcome === 'email_failed' ? invoice.reason : '', /ECONNREFUSED/);
    assert.ok((await completedActivityAttempt(handle)) > 1, 'the email was retried before it was given up');
    assert.equal((await handle.describe()).typedSearchAttributes.get(invoiceEmailFailedKey), true);

    assert.equal(await balanceOf(pipeline.api, customer.apiKey), '20.000000');
    const state = await invoiceState(snapshot.orderId);
    assert.equal(state?.email_status, 'failed');
    assert.match(state?.email_failure ?? '', /ECONNREFUSED/);
    assert.equal((await downloadInvoice(customer.apiKey, snapshot.orderId)).status, 200);
  });

  test('in one paperwork activity, an earlier send whose outcome is unknown is not retried: recorded failed and flagged at once', async () => {
    const customer = await newCustomer();
    const { snapshot, balanceAfter } = await creditedOrder(customer.apiKey);
    const issued = await allocateInvoice(pipeline.database.sql, { orderId: snapshot.orderId, issuer: invoiceSettings(pipeline.api.config).issuer, issuedAt: new Date() });
    assert.equal(issued.outcome, 'issued');
    const number = issued.outcome === 'issued' ? issued.invoice.number : '';
    // An attempt that handed the message over and died before recording the outcome.
    assert.deepEqual(await claimInvoiceEmail(pipeline.database.sql, number, 7), { outcome: 'claimed' });

    // An hour of retry time: only the unknown outcome ends the email, on the first attempt.
    const handle = await runWholePaperwork(snapshot, balanceAfter, 3_600);
    const { invoice } = await handle.result();
    assert.equal(invoice.outcome, 'email_failed');
    assert.match(invoice.outcome === 'email_failed' ? invoice.reason : '', /Attempt 7 .* Message-ID/);
    assert.equal(await completedActivityAttempt(handle), 1);
    assert.equal((await handle.describe()).typedSearchAttributes.get(invoiceEmailFailedKey), true);
    assert.equal((await invoiceState(snapshot.orderId))?.email_status, 'failed');
    assert.equal(mailsTo(customer.email).length, 0);
  });

  test('in one paperwork activity, an order that cannot be invoiced is flagged, and the step still completes', async () => {
    const customer = await newCustomer();
    const pending = await createPendingOrder(pipeline.api, customer.apiKey);
    const row = await getOrderRow(pipeline.database.sql, pending.id, null);
    const handle = await runWholePaperwork(snapshotFromRow(row!), '0.000000', 3_600);
    const { invoice } = await handle.result();
    assert.equal(invoice.outcome, 'not_issued');
    assert.equal((await handle.describe()).typedSearchAttributes.get(invoiceEmailFailedKey), true);
    assert.equal(await invoiceState(pending.id), null);
  });
});
