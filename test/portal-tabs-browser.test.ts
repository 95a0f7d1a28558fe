// The billing portal's orders, account flows, auto-recharge and balance alert tabs in a real browser
// (headless Chromium), on one pipeline with the sandbox provider and a real SMTP inbox: a customer
// opens the portal from a platform's session link and cancels a pending order after its confirmation,
// completes another through the sandbox checkout, downloads its invoice from the portal and from the
// email's signed link, asks for a refund and follows its status, filters the account flows, saves a card
// through the sandbox's setup page, turns auto-recharge on with consent, and sets balance alerts. Every
// tab is photographed and checked with axe-core, in English and in Chinese.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { addressedTo, startMailInbox, type MailInbox } from '../dev/mail-inbox.ts';
import { createTestCustomer, testAdminToken, uniqueKey } from './support/api.ts';
import { launchBrowser, type TestBrowser } from './support/browser.ts';
import { eventually } from './support/eventually.ts';
import { rateLimitsOff, startTestPipeline, type TestPipeline } from './support/pipeline.ts';
import { saveSandboxCard } from './support/saved-cards.ts';

const mailTimeoutMilliseconds = 30_000;

let inbox: MailInbox;
let pipeline: TestPipeline;
let browser: TestBrowser;

before(async () => {
  inbox = await startMailInbox({ smtpPort: 0, webPort: null, storageDirectory: null });
  // The test API listens on 127.0.0.1, where the portal's checkouts come back to. (Its keep-alive outlasts
  // the test's pauses for every test API: test/support/api.ts.)
  pipeline = await startTestPipeline({ sandbox: true, environment: { SMTP_URL: inbox.smtpUrl, ALLOWED_REDIRECT_HOSTS: '127.0.0.1,localhost', ...rateLimitsOff } });
  browser = await launchBrowser('portal-tabs');
});
after(async () => {
  await browser?.close();
  await pipeline?.close();
  await inbox?.stop();
});

interface Customer {
  accountId: string;
  apiKey: string;
  email: string;
}

/** A portal session link for the customer, as the platform asks for one. */
async function portalLink(customer: Customer, locale: 'en' | 'zh-CN' = 'en'): Promise<{ url: string; token: string }> {
  const created = await pipeline.api.request('POST', `/admin/accounts/${customer.accountId}/portal-sessions`, {
    token: testAdminToken,
    body: { return_url: 'http://localhost/billing', locale },
  });
  assert.equal(created.status, 201, created.text);
  const url = created.body.url as string;
  return { url, token: decodeURIComponent(url.slice(url.lastIndexOf('/') + 1)) };
}

/** A pending card order made in the portal (so its checkout comes back to the portal), by the session's token. */
async function pendingOrder(token: string, amount: string) {
  const created = await pipeline.api.request('POST', '/v1/topups', { token, idempotencyKey: uniqueKey('portal-order'), body: { amount, payment_method: 'stripe' } });
  assert.equal(created.status, 201, created.text);
  return created.body as { id: string; checkout_url: string };
}

function customerCall(customer: Customer, method: string, path: string, body?: unknown, idempotencyKey?: string) {
  return pipeline.api.request(method, path, { token: customer.apiKey, body, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) });
}

/** The row of an order in the orders tab. */
function orderRow(page: Page, orderId: string) {
  return page.locator(`tr[data-order-id="${orderId}"]`);
}

async function openTab(page: Page, name: string): Promise<void> {
  await page.getByRole('tab', { name, exact: true }).click();
  await page.getByRole('heading', { level: 2, name }).first().waitFor();
}

/**
 * Opens an invoice link in the browser as a customer clicking it in the email would: it must show the
 * PDF (200, application/pdf, inline) with no session or key. The bytes are read through the same
 * browser context's HTTP stack, as the page's PDF viewer holds the document itself.
 */
async function pdfFromLink(page: Page, link: string): Promise<Buffer> {
  const navigation = await page.goto(link);
  assert.ok(navigation !== null);
  assert.equal(navigation.status(), 200);
  assert.equal(navigation.headers()['content-type'], 'application/pdf');
  assert.match(navigation.headers()['content-disposition'] ?? '', /^inline; filename=/);
  return (await page.request.get(link)).body();
}

// The three run at once, each with a customer and a browser context of its own: most of their time is
// spent waiting on workflows, which overlap.
describe('the portal tabs', { concurrency: 3 }, () => {
  test('orders: cancel a pending order after its confirmation, complete another through its checkout, download its invoice, ask for a refund and follow it', async () => {
    const customer = await createTestCustomer(pipeline.api, 'USD', 'portal-orders');
    const { url, token } = await portalLink(customer);
    const toCancel = await pendingOrder(token, '12.00');
    const toComplete = await pendingOrder(token, '20.00');
    const page = await browser.newPage({ timezoneId: 'Asia/Shanghai' });
    await page.goto(`${url}?tab=orders`);
    await page.getByRole('heading', { level: 2, name: 'Orders' }).waitFor();
    // Newest first: the order made last is the first row.
    const ids = await page.locator('tr[data-order-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-order-id')));
    assert.deepEqual(ids, [toComplete.id, toCancel.id]);
    await assert.doesNotReject(orderRow(page, toCancel.id).getByText('$12.00').first().waitFor());
    await browser.screenshot(page, 'orders-pending');

    // Cancel asks first; keeping the order changes nothing, confirming cancels it.
    await orderRow(page, toCancel.id).getByRole('button', { name: /^Cancel order/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this order?' });
    await dialog.waitFor();
    await browser.screenshot(page, 'orders-cancel-confirmation');
    await browser.assertAccessible(page, 'the orders tab with the cancel confirmation');
    await dialog.getByRole('button', { name: 'Keep order' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await customerCall(customer, 'GET', `/v1/topups/${toCancel.id}`)).body.status, 'pending');
    await orderRow(page, toCancel.id).getByRole('button', { name: /^Cancel order/ }).click();
    await dialog.getByRole('button', { name: 'Cancel order' }).click();
    await orderRow(page, toCancel.id).getByText('Cancelled').waitFor();
    assert.equal((await customerCall(customer, 'GET', `/v1/topups/${toCancel.id}`)).body.status, 'cancelled');
    assert.equal(await orderRow(page, toCancel.id).getByRole('button', { name: /^Cancel order/ }).count(), 0, 'cancel is offered only while pending');

    // The status filter shows only the orders in that status.
    await page.getByLabel('Status').selectOption('cancelled');
    await eventually(async () => ((await page.locator('tr[data-order-id]').count()) === 1 ? true : undefined), { description: 'the cancelled order alone' });
    assert.equal(await page.locator('tr[data-order-id]').first().getAttribute('data-order-id'), toCancel.id);
    await page.getByLabel('Status').selectOption('');
    await orderRow(page, toComplete.id).waitFor();

    // Complete order: back to the order's checkout, paid there, and back to the portal.
    const invoiceMail = inbox.waitForMessage(addressedTo(customer.email), mailTimeoutMilliseconds);
    await orderRow(page, toComplete.id).getByRole('button', { name: /^Complete order/ }).click();
    await page.waitForURL(/\/sandbox\/checkout\//);
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.waitForURL(/\/portal\?/);
    const paid = await eventually(async () => {
      const order = (await customerCall(customer, 'GET', `/v1/topups/${toComplete.id}`)).body;
      return order.status === 'succeeded' && order.invoice_number !== null && order.receipt_url !== null ? order : undefined;
    }, { description: 'the completed order credited, with its invoice and receipt', timeoutMilliseconds: 30_000 });

    // The invoice: from the portal with the session, and from the email's signed link with nothing at all.
    await page.goto(`${pipeline.api.baseUrl}/portal?tab=orders`);
    const row = orderRow(page, toComplete.id);
    await row.getByText('Completed').waitFor();
    const portalDownload = page.waitForEvent('download');
    await row.getByRole('button', { name: /invoice/i }).click();
    const downloaded = await portalDownload;
    assert.equal(downloaded.suggestedFilename(), `${paid.invoice_number}.pdf`);
    assert.equal((await readFile((await downloaded.path())!)).subarray(0, 5).toString('latin1'), '%PDF-');
    assert.equal(await row.getByRole('link', { name: /receipt/i }).getAttribute('href'), paid.receipt_url);
    const mail = await invoiceMail;
    const link = /(http\S+\/invoices\/\S+\/download\?expires=\d+&signature=[0-9a-f]{64})/.exec(mail.parsed.text ?? '')?.[1];
    assert.ok(link !== undefined, `no download link in: ${mail.parsed.text}`);
    const linkPage = await browser.newPage();
    assert.equal((await pdfFromLink(linkPage, link)).subarray(0, 5).toString('latin1'), '%PDF-');

    // A refund request of part of it, and its status as it moves on.
    await row.getByRole('button', { name: /^Request refund/ }).click();
    const refundForm = page.getByRole('dialog', { name: 'Request a refund' });
    await refundForm.getByLabel(/Amount to refund/).fill('5.00');
    await refundForm.getByLabel('Reason').fill('Bought more than needed');
    await browser.assertAccessible(page, 'the refund request form');
    await browser.screenshot(page, 'orders-refund-request');
    await refundForm.getByRole('button', { name: 'Send request' }).click();
    await page.getByText(/Your refund request for order/).waitFor();
    await row.getByText('Refund of $5.00: refunded').waitFor({ timeout: 30_000 });
    const refunds = (await customerCall(customer, 'GET', '/v1/refunds')).body.data;
    assert.deepEqual(
      refunds.map((refund: { order_id: string; amount: string; status: string; reason: string }) => [refund.order_id, refund.amount, refund.status, refund.reason]),
      [[toComplete.id, '5.000000', 'succeeded', 'Bought more than needed']],
    );
    await browser.screenshot(page, 'orders-refunded');

    // Account flows: the recharge, the usage with its user and description, the refund; each filter shows its own.
    const usage = await customerCall(customer, 'POST', '/v1/consumptions', { amount: '1.25', description: 'gpt-4o, 1,250 tokens', user: 'alice' }, uniqueKey('usage'));
    assert.equal(usage.status, 201, usage.text);
    await openTab(page, 'Account flows');
    const flowRows = page.locator('tr[data-flow-type]');
    await eventually(async () => ((await flowRows.count()) === 3 ? true : undefined), { description: 'three account flows' });
    assert.deepEqual(await flowRows.evaluateAll((rows) => rows.map((each) => each.getAttribute('data-flow-type'))), ['consume', 'refund', 'recharge']);
    const consumption = flowRows.first();
    const cells = await consumption.locator('td').allInnerTexts();
    const createdAt = new Date(usage.body.flow.created_at);
    // The date and time are the browser's (Asia/Shanghai, UTC+8), not UTC.
    const shanghaiHour = new Intl.DateTimeFormat('en-US', { hour: '2-digit', hourCycle: 'h23', timeZone: 'Asia/Shanghai' }).format(createdAt);
    assert.match(cells[1]!, new RegExp(`^${Number(shanghaiHour) % 12 || 12}:|^${shanghaiHour}:`), `time ${cells[1]} is not in the browser's time zone`);
    assert.deepEqual([cells[2], cells[3], cells[5], cells[6]], ['Consume', '-$1.25', 'alice', 'gpt-4o, 1,250 tokens']);
    await browser.screenshot(page, 'account-flows-all');
    await browser.assertAccessible(page, 'the account flows tab');
    for (const [filter, type] of [['Consume', 'consume'], ['Recharge', 'recharge'], ['Refund', 'refund']] as const) {
      await page.getByRole('radio', { name: filter }).check();
      await eventually(async () => {
        const types = await flowRows.evaluateAll((rows) => rows.map((each) => each.getAttribute('data-flow-type')));
        return types.length === 1 && types[0] === type ? true : undefined;
      }, { description: `only the ${type} flow` });
    }
    await browser.screenshot(page, 'account-flows-refund');
  });

  test('auto-recharge: a card saved on the setup page, settings enabled only with consent (recorded from the browser), a default card, a removal; balance alerts', async () => {
    const customer = await createTestCustomer(pipeline.api, 'USD', 'portal-auto-recharge');
    const { url } = await portalLink(customer);
    const page = await browser.newPage();
    await page.goto(`${url}?tab=auto-recharge`);
    await page.getByText('No saved card yet.').waitFor();

    // Add a card: the sandbox's setup page, and back to this tab with the card saved.
    await page.getByRole('button', { name: 'Add a card' }).click();
    await page.waitForURL(/\/sandbox\/setup\//);
    await page.getByRole('button', { name: /Visa 4242/ }).click();
    await page.waitForURL(/\/portal\?tab=auto-recharge/);
    await page.getByRole('cell', { name: /VISA •••• 4242/ }).waitFor();

    await page.getByLabel(/When the balance falls below/).fill('5');
    await page.getByLabel(/Charge this amount/).fill('50');
    await page.getByLabel(/At most this much a month/).fill('200');
    await page.getByLabel('Turn auto-recharge on').check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Tick the box to agree to the charges').waitFor();
    assert.equal((await customerCall(customer, 'GET', '/v1/auto-recharge')).status, 404, 'nothing is saved without consent');
    await page.getByLabel(/I agree that my card is charged \$50\.00 whenever my balance falls below \$5\.00, at most \$200\.00/).check();
    await browser.screenshot(page, 'auto-recharge-consent');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    await page.locator('.badge-active').waitFor();
    const settings = (await customerCall(customer, 'GET', '/v1/auto-recharge')).body;
    const userAgent = await page.evaluate(() => (globalThis as unknown as { navigator: { userAgent: string } }).navigator.userAgent);
    assert.deepEqual(
      [settings.enabled, settings.threshold, settings.amount, settings.monthly_limit, settings.consent.user_agent, settings.consent.ip_address],
      [true, '5.000000', '50.000000', '200.000000', userAgent, '127.0.0.1'],
      'the consent is the browser\'s own',
    );
    await browser.screenshot(page, 'auto-recharge-active');
    await browser.assertAccessible(page, 'the auto-recharge tab');

    // A second card made the default, then removed; then the first, which auto-recharge charges, switches it off.
    await saveSandboxCard(pipeline.api, customer.apiKey, 'insufficient_funds');
    await page.reload();
    await page.getByRole('button', { name: 'Make default the card ending 9995' }).click();
    await page.getByText('The card ending 9995 is now the default.').waitFor();
    const cards = (await customerCall(customer, 'GET', '/v1/payment-methods')).body.data as { last4: string; is_default: boolean }[];
    assert.deepEqual(cards.filter((card) => card.is_default).map((card) => card.last4), ['9995']);
    await page.getByRole('button', { name: 'Remove the card ending 9995' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove this card?' });
    await dialog.getByRole('button', { name: 'Remove card' }).click();
    await page.getByText(/The card ending 9995 was removed/).waitFor();

    // Balance alerts: two thresholds with email; a bad one is refused with the API's reason.
    await openTab(page, 'Balance alerts');
    await page.getByText('No alerts are set.').waitFor();
    await page.getByRole('button', { name: 'Add a threshold' }).click();
    await page.getByRole('button', { name: 'Add a threshold' }).click();
    await page.getByLabel('Threshold 1 (USD)').fill('20');
    await page.getByLabel('Threshold 2 (USD)').fill('five');
    await page.getByLabel('Also send me an email').check();
    await page.getByRole('button', { name: 'Save alerts' }).click();
    await page.getByRole('alert').waitFor();
    assert.equal(await page.getByLabel('Threshold 2 (USD)').getAttribute('aria-invalid'), 'true');
    await page.getByLabel('Threshold 2 (USD)').fill('5.50');
    await page.getByRole('button', { name: 'Save alerts' }).click();
    await page.getByText('Balance alerts saved.').waitFor();
    const alerts = (await customerCall(customer, 'GET', '/v1/balance-alerts')).body;
    assert.deepEqual(alerts, { thresholds: ['20.000000', '5.500000'], email: true, currency: 'USD' });
    await browser.screenshot(page, 'balance-alerts');
    await browser.assertAccessible(page, 'the balance alerts tab');
  });

  test('the tabs in Chinese: labels, amounts and statuses in zh-CN, and accessible', async () => {
    const customer = await createTestCustomer(pipeline.api, 'CNY', 'portal-zh');
    const { url, token } = await portalLink(customer, 'zh-CN');
    const order = await pendingOrder(token, '100.00');
    const page = await browser.newPage({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    await page.goto(`${url}?tab=orders`);
    const row = orderRow(page, order.id);
    await row.getByText('待支付').waitFor();
    assert.match(await row.innerText(), /¥100\.00/);
    await row.getByRole('button', { name: /^取消订单/ }).waitFor();
    await browser.screenshot(page, 'orders-zh-CN');
    await browser.assertAccessible(page, 'the orders tab in Chinese');
    for (const [tab, heading] of [['账户流水', '账户流水'], ['自动充值', '自动充值'], ['余额提醒', '余额提醒']] as const) {
      await openTab(page, tab);
      await page.getByRole('heading', { level: 2, name: heading }).first().waitFor();
      await browser.assertAccessible(page, `the ${tab} tab in Chinese`);
    }
    await browser.screenshot(page, 'balance-alerts-zh-CN');
  });
});
