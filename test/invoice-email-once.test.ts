// An invoice email is not sent twice when PostgreSQL drops between the SMTP server's acceptance and the
// record of it. The activity records its intent ('sending', with the attempt) before the send; a short
// drop is ridden out within the attempt; a retry by another process that finds the intent without an
// outcome does not send again but hands the email to a person (email_outcome_unknown); a retry by the
// same process, which saw the acceptance, records it. A real SMTP server (dev/mail-inbox.ts) counts the
// messages; the database's failures are injected into the activity's own pool, right after the send.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createActivities } from '../activities/index.ts';
import { createSandboxProvider } from '../activities/payments/sandbox-provider.ts';
import type { MailTransport } from '../activities/invoices.ts';
import { createAccount } from '../db/accounts/create-account.ts';
import type { Sql } from '../db/client.ts';
import { getOrderRow } from '../db/orders/get-order.ts';
import { snapshotFromRow } from '../db/orders/order-row.ts';
import { addressedTo, startMailInbox, type MailInbox } from '../dev/mail-inbox.ts';
import { failureTypeOf } from '../domain/failures.ts';
import type { StripeCheckoutOrderInput } from '../domain/orders.ts';
import { orderIdFor, randomToken } from '../ids/ids.ts';
import { createLogger } from '../observability/logger.ts';
import { createMailTransport } from '../worker/mail-transport.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { testInvoiceSettings } from './support/invoices.ts';
import { creditOrderDirectly, insertOrderDirectly } from './support/orders.ts';

const logger = createLogger('refill-invoice-once-test', process.env.REFILL_TEST_LOG_LEVEL ?? 'silent');
let database: TestDatabase;
let inbox: MailInbox;
let smtp: ReturnType<typeof createMailTransport>;

before(async () => {
  database = await createTestDatabase(4);
  inbox = await startMailInbox({ smtpPort: 0, webPort: null, storageDirectory: null });
  smtp = createMailTransport({ smtpUrl: inbox.smtpUrl, from: testInvoiceSettings.mailFrom });
});
after(async () => {
  smtp.close();
  await inbox.stop();
  await database.close();
});

/**
 * One worker process's activities over a pool whose queries fail while `outage.queriesToFail` is
 * above zero (each failing query counts down; Infinity is an outage that lasts), starting right after
 * the SMTP server accepted a message: the drop between the send and its record.
 */
function workerProcess(outage: { queriesToFail: number; afterSend: number }) {
  const lostConnection = () => Object.assign(new Error('write CONNECTION_CLOSED 127.0.0.1:5432'), { code: 'CONNECTION_CLOSED' });
  const sql = new Proxy(database.sql, {
    apply(target, thisArgument, args: unknown[]) {
      const isQuery = Array.isArray(args[0]) && 'raw' in (args[0] as object);
      if (isQuery && outage.queriesToFail > 0) {
        outage.queriesToFail -= 1;
        return Promise.reject(lostConnection());
      }
      return Reflect.apply(target, thisArgument, args);
    },
  }) as Sql;
  const mailTransport: MailTransport = {
    async sendMail(mail) {
      const accepted = await smtp.sendMail(mail);
      outage.queriesToFail = outage.afterSend;
      return accepted;
    },
  };
  return createActivities({ sql, paymentProvider: createSandboxProvider(database.sql, 'http://refill.test'), logger, mailTransport, invoices: testInvoiceSettings });
}

/** A credited order with its invoice issued, and the address its email goes to. */
async function invoicedOrder(): Promise<{ orderId: string; email: string }> {
  const email = `once-${randomToken(6).toLowerCase()}@example.com`;
  const account = await createAccount(database.sql, { email, currency: 'USD' });
  const key = randomToken(10);
  const now = new Date();
  const input: StripeCheckoutOrderInput = {
    orderId: orderIdFor(account.accountId, key),
    accountId: account.accountId,
    customerEmail: email,
    requestHash: 'hash',
    idempotencyKey: key,
    terms: { currency: 'USD', paymentMethod: 'stripe', packageId: null, amount: '20.000000', discount: '0.000000', payAmount: '20.000000', bonus: '0.000000', credit: '20.000000', promoCode: null },
    successUrl: 'http://refill.test/success',
    cancelUrl: 'http://refill.test/cancel',
    expiresAt: new Date(now.getTime() + 30 * 60_000).toISOString(),
    createdAt: now.toISOString(),
  };
  await insertOrderDirectly(database.sql, input);
  const row = await getOrderRow(database.sql, input.orderId, null);
  await creditOrderDirectly(database.sql, { ...snapshotFromRow(row!), paidAt: now.toISOString(), providerPaymentId: `pi_once_${key}` });
  await workerProcess({ queriesToFail: 0, afterSend: 0 }).issueInvoice({ orderId: input.orderId });
  return { orderId: input.orderId, email };
}

async function emailState(orderId: string) {
  const [row] = await database.sql<{ email_status: string; email_message_id: string | null }[]>`
    select email_status, email_message_id from invoices where order_id = ${orderId}`;
  return row;
}

function messagesTo(email: string) {
  return inbox.messages().filter(addressedTo(email));
}

test('a database drop right after the server accepted the email is ridden out: one message, recorded sent', async () => {
  const { orderId, email } = await invoicedOrder();
  const worker = workerProcess({ queriesToFail: 0, afterSend: 1 });
  const sent = await worker.sendInvoiceEmail({ orderId, balanceAfter: '20.000000' });
  assert.equal(sent.alreadySent, false);
  assert.equal((await emailState(orderId))?.email_status, 'sent');
  const retried = await worker.sendInvoiceEmail({ orderId, balanceAfter: '20.000000' });
  assert.equal(retried.alreadySent, true);
  assert.equal(messagesTo(email).length, 1);
});

test('a retry by another process after an unrecorded send does not send again; it hands the email to a person', async () => {
  const { orderId, email } = await invoicedOrder();
  const outage = { queriesToFail: 0, afterSend: Number.POSITIVE_INFINITY };
  const crashed = workerProcess(outage);
  await assert.rejects(crashed.sendInvoiceEmail({ orderId, balanceAfter: '20.000000' }), { code: 'CONNECTION_CLOSED' });
  outage.queriesToFail = 0;
  assert.equal(messagesTo(email).length, 1, 'the server has the message');
  assert.equal((await emailState(orderId))?.email_status, 'sending');

  const next = workerProcess({ queriesToFail: 0, afterSend: 0 });
  const unknown = await next.sendInvoiceEmail({ orderId, balanceAfter: '20.000000' }).then(
    () => assert.fail('the email was sent again'),
    (error: unknown) => error,
  );
  assert.equal(failureTypeOf(unknown), 'email_outcome_unknown');
  assert.match((unknown as Error).message, /not sent again.*Message-ID <invoice\.RF-\d{4}-\d{6}@refill\.test>/);
  assert.equal(messagesTo(email).length, 1, 'no second message');
});

test('a retry by the same process, which saw the acceptance, records it without sending again', async () => {
  const { orderId, email } = await invoicedOrder();
  const outage = { queriesToFail: 0, afterSend: Number.POSITIVE_INFINITY };
  const worker = workerProcess(outage);
  await assert.rejects(worker.sendInvoiceEmail({ orderId, balanceAfter: '20.000000' }), { code: 'CONNECTION_CLOSED' });
  outage.afterSend = 0;
  outage.queriesToFail = 0;
  const retried = await worker.sendInvoiceEmail({ orderId, balanceAfter: '20.000000' });
  assert.equal(retried.alreadySent, true);
  const state = await emailState(orderId);
  assert.equal(state?.email_status, 'sent');
  assert.equal(state?.email_message_id, retried.messageId);
  assert.equal(messagesTo(email).length, 1);
});
