// The ops console in a real browser (headless Chromium): a customer's CNY bank transfer order, created
// over the API, is taken into review and confirmed in the console by an operator who signed in there;
// the ledger credits it once. Every page is photographed (.data/screenshots/ops-console/) and checked
// with axe-core (WCAG 2.1 A/AA); the forms are used with the keyboard where a person would.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, type TestBrowser } from './support/browser.ts';
import { balanceOf, createTestCustomer } from './support/api.ts';
import { testOperatorToken } from './support/operators.ts';
import { createPendingOrder } from './support/orders.ts';
import { startTestPipeline, waitForOrder, type TestPipeline } from './support/pipeline.ts';

let pipeline: TestPipeline;
let browser: TestBrowser;

before(async () => {
  [pipeline, browser] = await Promise.all([startTestPipeline(), launchBrowser('ops-console')]);
});
after(async () => {
  await browser?.close();
  await pipeline?.close();
});

test('a CNY bank transfer is reviewed and confirmed in the ops console, and credited once', async () => {
  const customer = await createTestCustomer(pipeline.api, 'CNY', 'ops-browser');
  const order = await createPendingOrder(pipeline.api, customer.apiKey, {
    package_id: 'cny_500',
    payment_method: 'bank_transfer',
    bank_transfer: { remitter_name: '韩梅梅', bank_name: '中国工商银行 北京分行', remarks: '十二月充值', agreement_accepted: true },
  });
  const reference = (order.bank_transfer as { reference: string }).reference;
  const page = await browser.newPage();
  const base = pipeline.api.baseUrl;

  await page.goto(`${base}/ops`);
  assert.equal(new URL(page.url()).pathname, '/ops/sign-in', 'without a session the console asks to sign in');
  await browser.screenshot(page, 'sign-in');
  await browser.assertAccessible(page, 'the sign-in page');
  await page.getByLabel('Operator token').fill('a-wrong-token-0123456789');
  await page.keyboard.press('Enter');
  await page.getByRole('alert').filter({ hasText: 'unauthorized' }).waitFor();
  await browser.screenshot(page, 'sign-in-refused');
  await browser.assertAccessible(page, 'the refused sign-in');
  await page.getByLabel('Operator token').fill(testOperatorToken('ops-alice'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Ops queues' }).waitFor();
  await browser.screenshot(page, 'home');
  await browser.assertAccessible(page, 'the console\'s home');

  await page.getByRole('link', { name: 'Bank transfers to review' }).first().click();
  await page.getByRole('heading', { name: 'Bank transfers to review' }).waitFor();
  const item = page.getByRole('article').filter({ hasText: order.id });
  await item.getByText(reference).waitFor();
  await item.getByText('韩梅梅').waitFor();
  await browser.screenshot(page, 'bank-transfers-pending');
  await browser.assertAccessible(page, 'the bank transfers queue');
  await item.getByRole('button', { name: 'Start review' }).click();
  await page.getByRole('status').filter({ hasText: `Order ${order.id}: review started` }).waitFor();
  await browser.screenshot(page, 'review-started');
  await browser.assertAccessible(page, 'the queue after starting the review');

  const inReview = page.getByRole('article').filter({ hasText: order.id });
  assert.equal(await inReview.getByLabel('Amount received (CNY)').inputValue(), '500.00');
  await inReview.getByLabel('Bank reference').fill('ICBC-20261201-0042');
  await inReview.getByLabel('Bank reference').press('Enter');
  await page.getByRole('status').filter({ hasText: `Order ${order.id}: transfer confirmed, 525.00 CNY credited` }).waitFor();
  assert.equal(await page.getByRole('article').filter({ hasText: order.id }).count(), 0, 'a confirmed transfer leaves the queue');
  await browser.screenshot(page, 'transfer-confirmed');
  await browser.assertAccessible(page, 'the queue after the confirmation');

  const credited = await waitForOrder(pipeline.api, customer.apiKey, order.id, ['succeeded']);
  assert.equal(credited.credit, '525.000000');
  const [recharges] = await pipeline.database.sql<{ count: number }[]>`
    select count(*)::int as count from transfers where order_id = ${order.id} and flow_type = 'recharge'`;
  assert.equal(recharges!.count, 1, 'credited once');
  assert.equal(await balanceOf(pipeline.api, customer.apiKey), '525.000000');
  const [audited] = await pipeline.database.sql<{ actions: string[] }[]>`
    select array_agg(action order by id) as actions from admin_audit_log where target = ${order.id} and operator = 'ops-alice'`;
  assert.deepEqual(audited!.actions, ['topup.start_review', 'topup.confirm_transfer']);

  await page.getByRole('button', { name: 'Sign out ops-alice' }).click();
  await page.getByRole('heading', { name: 'Sign in to the ops console' }).waitFor();
  await page.goto(`${base}/ops/bank-transfers`);
  assert.equal(new URL(page.url()).pathname, '/ops/sign-in', 'signed out, the queue is closed');
});
