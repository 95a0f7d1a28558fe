// The billing portal in a real browser (headless Chromium, test/support/browser.ts) on the whole
// pipeline with the sandbox provider: a platform's link opens the overview; a preset top-up (preselected by
// the link) with a promo code (a wrong one refused with its reason, then a right one) goes through the
// sandbox checkout to the result page with the new balance; a custom amount gets its live quote; the
// zh-CN portal shows Chinese and the CNY bank transfer form. Every page passes axe-core (WCAG 2.1 AA);
// each step is photographed into .data/screenshots/portal/.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { createTestAccount, testAdminToken } from './support/api.ts';
import { launchBrowser, type TestBrowser } from './support/browser.ts';
import { startTestPipeline, type TestPipeline } from './support/pipeline.ts';

let pipeline: TestPipeline;
let browser: TestBrowser;

/** The credit arrives through the sandbox's webhook and the order workflow: seconds on a busy machine. */
const creditTimeoutMilliseconds = 60_000;

before(async () => {
  pipeline = await startTestPipeline({ sandbox: true, environment: { ALLOWED_REDIRECT_HOSTS: '127.0.0.1,localhost,shop.example.com' } });
  browser = await launchBrowser('portal');
});
after(async () => {
  await browser?.close();
  await pipeline?.close();
});

async function portalLink(accountId: string, locale: 'en' | 'zh-CN', query = ''): Promise<string> {
  const created = await pipeline.api.request('POST', `/admin/accounts/${accountId}/portal-sessions`, {
    token: testAdminToken,
    body: { return_url: 'https://shop.example.com/account', locale },
  });
  assert.equal(created.status, 201, created.text);
  return `${created.body.url}${query}`;
}

async function textOf(page: Page, testId: string): Promise<string> {
  return ((await page.getByTestId(testId).textContent()) ?? '').trim();
}

/** Waits until the element's text is the one given (the live quote and status change as answers come). */
async function waitForText(page: Page, testId: string, text: string, timeout?: number): Promise<void> {
  await page.getByTestId(testId).filter({ hasText: text }).waitFor(timeout === undefined ? {} : { timeout });
}

test('a preset top-up with a promo code: the link opens the overview, then the top-up tab, the sandbox checkout, and the result with the new balance', async () => {
  const { accountId } = await createTestAccount(pipeline.api, 'USD');
  const promo = await pipeline.api.request('POST', '/admin/promo-codes', { token: testAdminToken, body: { code: 'PORTAL10', kind: 'discount_percent', percent: '10', currency: 'USD' } });
  assert.equal(promo.status, 201, promo.text);
  const page = await browser.newPage({ locale: 'en-US', timezoneId: 'America/New_York' });

  await page.goto(await portalLink(accountId, 'en'));
  assert.match(page.url(), /\/portal$/);
  await waitForText(page, 'balance', '$0.00');
  assert.equal(await textOf(page, 'available'), '$0.00');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await browser.screenshot(page, 'overview');
  await browser.assertAccessible(page, 'the overview');

  // The tabs are one Tab stop; the arrow keys move between them.
  await page.getByRole('tab', { name: 'Overview' }).focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getByRole('tab', { name: 'Top up' }).getAttribute('aria-selected'), 'true');
  assert.match(page.url(), /tab=top-up/);

  // A pricing page's "Top up $100" button: the link preselects the package.
  await page.goto(await portalLink(accountId, 'en', '?tab=top-up&package_id=usd_100'));
  await waitForText(page, 'quote-price', '$100.00');
  assert.equal(await page.locator('input[name="amount-choice"][value="usd_100"]').isChecked(), true);
  assert.equal(await textOf(page, 'quote-bonus'), '$5.00');
  assert.equal(await textOf(page, 'quote-credit'), '$105.00');

  await page.getByLabel('Promo code').fill('NOPE123');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('There is no promo code "NOPE123".').waitFor();
  await browser.screenshot(page, 'promo-refused');
  await page.getByRole('button', { name: 'Remove' }).click();
  await page.getByLabel('Promo code').fill('portal10');
  await page.getByRole('button', { name: 'Apply' }).click();
  await waitForText(page, 'quote-price', '$90.00');
  assert.equal(await textOf(page, 'quote-discount'), '−$10.00');
  assert.equal(await textOf(page, 'quote-credit'), '$105.00');
  await page.getByText('Promo code PORTAL10 applied.').waitFor();
  await browser.screenshot(page, 'top-up-with-promo');
  await browser.assertAccessible(page, 'the top-up tab');

  await page.getByRole('button', { name: 'Pay $90.00' }).click();
  await page.waitForURL(/\/sandbox\/checkout\//);
  await browser.screenshot(page, 'sandbox-checkout');
  await page.getByRole('button', { name: 'Pay', exact: true }).click();
  await page.waitForURL(/\/portal\?tab=result&order_id=ord_[0-9a-z]{24}$/);
  await waitForText(page, 'result-status', 'Credited to your balance', creditTimeoutMilliseconds);
  assert.equal(await textOf(page, 'result-paid'), '$90.00');
  assert.equal(await textOf(page, 'result-credit'), '$105.00');
  await waitForText(page, 'result-balance', '$105.00');
  assert.equal(await page.getByRole('link', { name: 'Back to shop.example.com' }).first().getAttribute('href'), 'https://shop.example.com/account');
  await browser.screenshot(page, 'result');
  await browser.assertAccessible(page, 'the result page');

  await page.getByRole('tab', { name: 'Overview' }).click();
  await waitForText(page, 'balance', '$105.00');
});

test('a custom amount gets a live quote: credit with the bonus of its tier, and the method\'s minimum said in words', async () => {
  const { accountId } = await createTestAccount(pipeline.api, 'USD');
  const page = await browser.newPage();
  await page.goto(await portalLink(accountId, 'en', '?tab=top-up'));
  await page.locator('input[name="amount-choice"][value="custom"]').check();
  const amount = page.getByLabel('Amount (USD)');
  await amount.fill('42.50');
  await waitForText(page, 'quote-price', '$42.50');
  assert.equal(await textOf(page, 'quote-credit'), '$42.50');
  await amount.fill('150');
  await waitForText(page, 'quote-price', '$150.00');
  assert.equal(await textOf(page, 'quote-bonus'), '$7.50');
  assert.equal(await textOf(page, 'quote-credit'), '$157.50');
  await amount.fill('2');
  await page.getByText('The minimum with this payment method is $5.00.').waitFor();
  await amount.fill('12.345');
  await page.getByText('Enter an amount such as 25 or 25.50.').first().waitFor();
  await amount.fill('150');
  await waitForText(page, 'quote-credit', '$157.50');
  await browser.screenshot(page, 'custom-amount');
  await browser.assertAccessible(page, 'the top-up tab with a custom amount');
});

test('in Chinese: the overview and the CNY top-up with the bank transfer form (company account, remitter, bank, remarks, agreement) and its instructions', async () => {
  const { accountId } = await createTestAccount(pipeline.api, 'CNY');
  const page = await browser.newPage({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  await page.goto(await portalLink(accountId, 'zh-CN'));
  await page.getByRole('heading', { name: '您的余额' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  await waitForText(page, 'balance', '¥0.00');
  await browser.screenshot(page, 'overview-zh-CN');
  await browser.assertAccessible(page, 'the Chinese overview');

  await page.getByRole('tab', { name: '充值', exact: true }).click();
  await page.getByRole('radio', { name: '银行转账' }).check();
  await page.getByTestId('payee').waitFor();
  assert.match(await textOf(page, 'payee'), /Refill Example Bank/);
  await waitForText(page, 'quote-price', '¥50.00');
  await page.getByRole('button', { name: '提交银行转账订单' }).click();
  await page.getByText('请填写付款账户户名。').waitFor();
  await page.getByLabel('付款账户户名').fill('李雷');
  await page.getByLabel('付款银行').fill('中国工商银行');
  await page.getByLabel('备注（选填）').fill('三月充值');
  await page.getByRole('button', { name: '提交银行转账订单' }).click();
  await page.getByText('请确认银行转账条款。').waitFor();
  await page.getByLabel(/我将按上方实付金额转账/).check();
  await browser.screenshot(page, 'bank-transfer-form-zh-CN');
  await browser.assertAccessible(page, 'the Chinese bank transfer form');
  await page.getByRole('button', { name: '提交银行转账订单' }).click();
  await page.getByRole('heading', { name: '转账 ¥50.00 以完成充值' }).waitFor();
  assert.match(await textOf(page, 'transfer-reference'), /^[A-Z0-9-]{6,}$/);
  await browser.screenshot(page, 'bank-transfer-instructions-zh-CN');
  await browser.assertAccessible(page, 'the Chinese bank transfer instructions');

  await page.getByLabel('语言').selectOption('en');
  await page.getByRole('heading', { name: /Transfer CN¥50.00|Transfer ¥50.00/ }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.match(page.url(), /lang=en/);
});
