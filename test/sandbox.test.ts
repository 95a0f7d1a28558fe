// Without a Stripe key: the sandbox provider's payment page, whose buttons send signed, Stripe-format
// events through the same webhook route a real payment takes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { balanceOf, createTestAccount } from './support/api.ts';
import { createPendingOrder } from './support/orders.ts';
import { startTestPipeline, waitForOrder, type TestPipeline } from './support/pipeline.ts';
import { openSandboxPage, pressSandboxButton, submitSandboxForm } from './support/sandbox-page.ts';

let pipeline: TestPipeline;

before(async () => {
  pipeline = await startTestPipeline({ sandbox: true });
});
after(async () => {
  await pipeline.close();
});

const hundredDollarPackage = { package_id: 'usd_100', payment_method: 'stripe' };

test('paying on the sandbox page credits the order, and says plainly that no money moves', async () => {
  const account = await createTestAccount(pipeline.api, 'USD');
  const order = await createPendingOrder(pipeline.api, account.apiKey, hundredDollarPackage);
  const checkoutUrl = String(order.checkout_url);
  assert.ok(checkoutUrl.startsWith(`${pipeline.api.baseUrl}/sandbox/checkout/cs_sandbox_`), checkoutUrl);

  const page = await openSandboxPage(checkoutUrl);
  assert.equal(page.status, 200);
  const html = page.html;
  assert.match(html, /No real money moves/);
  assert.match(html, /100\.00 USD/);

  const paid = await submitSandboxForm(checkoutUrl, 'pay', page);
  assert.equal(paid.status, 303);
  assert.match(String(paid.headers.get('location')), /result=success/);
  // The receipt link follows the credit by a provider call.
  const succeeded = await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded'], { until: (paid) => paid.receipt_url !== null });
  assert.equal(succeeded.receipt_url, checkoutUrl);
  assert.equal(await balanceOf(pipeline.api, account.apiKey), '105.000000');

  const again = await submitSandboxForm(checkoutUrl, 'pay', page);
  assert.equal(again.status, 409);
});

test('declining on the sandbox page fails the order and credits nothing', async () => {
  const account = await createTestAccount(pipeline.api, 'USD');
  const order = await createPendingOrder(pipeline.api, account.apiKey, hundredDollarPackage);
  const declined = await pressSandboxButton(String(order.checkout_url), 'decline');
  assert.equal(declined.status, 303);
  assert.match(String(declined.headers.get('location')), /result=cancel/);
  await waitForOrder(pipeline.api, account.apiKey, order.id, ['failed']);
  assert.equal(await balanceOf(pipeline.api, account.apiKey), '0.000000');
});

test('an unknown sandbox session is a 404', async () => {
  const response = await fetch(`${pipeline.api.baseUrl}/sandbox/checkout/cs_sandbox_000000000000000000000000`);
  assert.equal(response.status, 404);
});

test('without Airwallex credentials the sandbox stands in for it: a WeChat Pay QR code opens the sandbox page that pays it', async () => {
  const account = await createTestAccount(pipeline.api, 'CNY');
  const order = await createPendingOrder(pipeline.api, account.apiKey, { amount: '88.00', payment_method: 'wechat_pay' });
  const action = order.next_action as { type: string; data: string; image_url: string };
  assert.equal(action.type, 'qr_code');
  assert.ok(action.data.startsWith(`${pipeline.api.baseUrl}/sandbox/checkout/cs_sandbox_`), action.data);
  assert.equal((await fetch(action.image_url)).headers.get('content-type'), 'image/png');
  assert.equal((await pressSandboxButton(action.data, 'pay')).status, 303);
  await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
  assert.equal(await balanceOf(pipeline.api, account.apiKey), '88.000000');
});
