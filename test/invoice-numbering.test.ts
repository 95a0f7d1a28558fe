// Invoice numbers on a real Postgres: gap-free and unique per issuer series and year, under
// concurrent and repeated issues, and invoices that cannot be changed once issued.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createActivities } from '../activities/index.ts';
import { renderInvoicePdf } from '../activities/invoices/render-invoice-pdf.ts';
import { createSandboxProvider } from '../activities/payments/sandbox-provider.ts';
import { createAccount } from '../db/accounts/create-account.ts';
import { allocateInvoice, type InvoiceIssuer } from '../db/invoices/allocate-invoice.ts';
import type { IssuedInvoiceRow } from '../db/invoices/invoice-row.ts';
import { creditOrderDirectly, insertOrderDirectly, paidSnapshotOf, stripeOrderInput } from './support/orders.ts';
import { formatInvoiceNumber } from '../domain/invoices.ts';
import { createLogger } from '../observability/logger.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { testInvoiceDependencies, testInvoiceSettings } from './support/invoices.ts';

/** Orders issued at once in the concurrency test; each is also issued a second time at the same moment. */
const concurrentOrders = 50;
/** Connections for the concurrent issues: more than the worker's 20 activity slots would use. */
const databasePoolSize = 25;

let database: TestDatabase;
let activities: ReturnType<typeof createActivities>;
const logger = createLogger('refill-invoice-numbering-test', process.env.REFILL_TEST_LOG_LEVEL ?? 'silent');
const issuer: InvoiceIssuer = testInvoiceSettings.issuer;
const thisYear = new Date().getUTCFullYear();

before(async () => {
  database = await createTestDatabase(databasePoolSize);
  activities = createActivities({
    sql: database.sql,
    paymentProvider: createSandboxProvider(database.sql, 'http://refill.test'),
    logger,
    ...testInvoiceDependencies(),
  });
});
after(async () => {
  await database.close();
});

/** Inserts an order as the workflow's first activity would, optionally credited as after its payment. */
async function newOrder(accountId: string, options: { credited: boolean }): Promise<string> {
  const input = stripeOrderInput(accountId, { customerEmail: 'numbering@example.com', terms: { bonus: '1.000000', credit: '21.000000' } });
  await insertOrderDirectly(database.sql, input);
  if (options.credited) await creditOrderDirectly(database.sql, await paidSnapshotOf(database.sql, input.orderId));
  return input.orderId;
}

async function lastNumber(series: string, year: number): Promise<bigint | null> {
  const [counter] = await database.sql<{ last_number: bigint }[]>`
    select last_number from invoice_counters where issuer = ${series} and year = ${year}`;
  return counter?.last_number ?? null;
}

describe('numbering', () => {
  test('fifty orders issued at once, each twice, get the numbers 1 to 50 once each', async (t) => {
    const account = await createAccount(database.sql, { email: 'numbering@example.com', currency: 'USD' });
    const orderIds: string[] = [];
    for (let index = 0; index < concurrentOrders; index += 1) orderIds.push(await newOrder(account.accountId, { credited: true }));

    const started = performance.now();
    // Each order is issued twice at the same moment, as a retried activity racing its first attempt would.
    const results = await Promise.all(
      [...orderIds, ...orderIds].map((orderId) => activities.issueInvoice({ orderId }).then((result) => ({ orderId, result }))),
    );
    const elapsedMilliseconds = performance.now() - started;
    t.diagnostic(`${results.length} concurrent issues for ${concurrentOrders} orders: ${elapsedMilliseconds.toFixed(0)} ms`);

    const numberByOrder = new Map<string, string>();
    for (const { orderId, result } of results) {
      const earlier = numberByOrder.get(orderId);
      if (earlier !== undefined) assert.equal(result.invoiceNumber, earlier, `order ${orderId} got two numbers`);
      numberByOrder.set(orderId, result.invoiceNumber);
    }
    assert.equal(results.filter(({ result }) => result.created).length, concurrentOrders, 'one issue per order created it');
    const expected = Array.from({ length: concurrentOrders }, (_, index) => formatInvoiceNumber(issuer.numberPrefix, thisYear, BigInt(index + 1)));
    assert.deepEqual([...numberByOrder.values()].sort(), expected);
    assert.equal(await lastNumber(issuer.numberPrefix, thisYear), BigInt(concurrentOrders));

    const [stored] = await database.sql<{ invoices: number; with_pdf: number }[]>`
      select count(*)::int as invoices, (count(*) filter (where pdf is not null))::int as with_pdf
      from invoices where order_id in ${database.sql(orderIds)}`;
    assert.deepEqual(stored, { invoices: concurrentOrders, with_pdf: concurrentOrders });
  });

  test('numbers alone (no PDF) for fifty orders at once, each asked twice, are 1 to 50 once each', async (t) => {
    const account = await createAccount(database.sql, { email: 'allocation@example.com', currency: 'USD' });
    const series = { ...issuer, numberPrefix: 'RFA' };
    const orderIds: string[] = [];
    for (let index = 0; index < concurrentOrders; index += 1) orderIds.push(await newOrder(account.accountId, { credited: true }));

    const started = performance.now();
    const allocations = await Promise.all(
      [...orderIds, ...orderIds].map((orderId) => allocateInvoice(database.sql, { orderId, issuer: series, issuedAt: new Date() })),
    );
    t.diagnostic(`${allocations.length} concurrent allocations for ${concurrentOrders} orders: ${(performance.now() - started).toFixed(0)} ms`);

    const numbers = allocations.map((allocation) => (allocation.outcome === 'issued' ? allocation.invoice.number : 'none'));
    const expected = Array.from({ length: concurrentOrders }, (_, index) => formatInvoiceNumber('RFA', thisYear, BigInt(index + 1)));
    assert.deepEqual([...new Set(numbers)].sort(), expected);
    assert.deepEqual(numbers.slice(0, concurrentOrders), numbers.slice(concurrentOrders), 'both asks for an order got one number');
    assert.equal(await lastNumber('RFA', thisYear), BigInt(concurrentOrders));
  });

  test('each issuer series and each year count from 1 on their own', async () => {
    const account = await createAccount(database.sql, { email: 'series@example.com', currency: 'USD' });
    const otherSeries = { ...issuer, numberPrefix: 'RFB' };
    const first = await allocateInvoice(database.sql, {
      orderId: await newOrder(account.accountId, { credited: true }),
      issuer: otherSeries,
      issuedAt: new Date(),
    });
    const nextYear = await allocateInvoice(database.sql, {
      orderId: await newOrder(account.accountId, { credited: true }),
      issuer: otherSeries,
      issuedAt: new Date(Date.UTC(thisYear + 1, 0, 1, 0, 0, 0)),
    });
    assert.equal(first.outcome === 'issued' && first.invoice.number, `RFB-${thisYear}-000001`);
    assert.equal(nextYear.outcome === 'issued' && nextYear.invoice.number, `RFB-${thisYear + 1}-000001`);
  });

  test('an order that was not credited gets no invoice and uses up no number', async () => {
    const account = await createAccount(database.sql, { email: 'unpaid@example.com', currency: 'USD' });
    const orderId = await newOrder(account.accountId, { credited: false });
    const before = await lastNumber(issuer.numberPrefix, thisYear);
    await assert.rejects(activities.issueInvoice({ orderId }), (error: unknown) => {
      assert.equal((error as { type?: string }).type, 'invoice_order_not_credited');
      return true;
    });
    assert.equal(await lastNumber(issuer.numberPrefix, thisYear), before);
    const [row] = await database.sql<{ count: number }[]>`select count(*)::int as count from invoices where order_id = ${orderId}`;
    assert.equal(row!.count, 0);
  });
});

describe('immutability', () => {
  test('an issued invoice cannot be changed, re-rendered differently, or deleted; only its email status moves', async () => {
    const account = await createAccount(database.sql, { email: 'immutable@example.com', currency: 'USD' });
    const orderId = await newOrder(account.accountId, { credited: true });
    const issued = await activities.issueInvoice({ orderId });
    const sql = database.sql;

    await assert.rejects(sql`update invoices set amount_micros = 1 where order_id = ${orderId}`, /immutable/);
    await assert.rejects(sql`update invoices set number = 'RF-1999-000001' where order_id = ${orderId}`, /immutable/);
    await assert.rejects(sql`update invoices set pdf = ${Buffer.from('%PDF-forged')} where order_id = ${orderId}`, /immutable/);
    await assert.rejects(sql`delete from invoices where order_id = ${orderId}`, /immutable/);
    await assert.rejects(sql`truncate invoices cascade`, /immutable/);
    await sql`update invoices set email_status = 'failed', email_failure = 'test' where order_id = ${orderId}`;

    // Rendering is deterministic: the stored PDF is what the row renders to, byte for byte.
    const [row] = await sql<IssuedInvoiceRow[]>`select * from invoices where order_id = ${orderId}`;
    const rendered = await renderInvoicePdf(row!);
    assert.ok(rendered.equals(row!.pdf), 'a re-render of the stored invoice differs from it');
    const again = await activities.issueInvoice({ orderId });
    assert.deepEqual({ ...again, created: true }, issued);
    assert.equal(again.created, false);
  });
});
