// Without a Stripe key: the sandbox provider's payment page, whose buttons send signed, Stripe-format
// events through the same webhook route a real payment takes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { balanceOf, createTestAccount } from './support/api.ts';
import { eventually } from './support/eventually.ts';
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
  // The credit and bonus, and the expiry as a readable time (the browser shows it in its own zone).
  assert.match(html, /Bonus credit<\/th><td>5\.00 USD/);
  assert.match(html, /Credit to your balance<\/th><td><strong>105\.00 USD/);
  assert.match(html, /expires <time datetime="\d{4}-\d\d-\d\dT[^"]+Z" data-local>\d{1,2} \w{3} \d{4}, \d\d:\d\d UTC<\/time>/);

  const paid = await submitSandboxForm(checkoutUrl, 'pay', page);
  assert.equal(paid.status, 303);
  const resultUrl = String(paid.headers.get('location'));
  assert.match(resultUrl, /result=success/);
  // The result page: the amounts, the new balance once credited, and a way back; it reloads until then.
  const result = await eventually(async () => {
    const response = await fetch(resultUrl);
    const text = await response.text();
    return /New balance: 105\.00 USD/.test(text) ? text : undefined;
  }, { description: 'the result page showing the credit' });
  assert.match(result, /You pay<\/th><td><strong>100\.00 USD/);
  assert.match(result, /Credit to your balance<\/th><td><strong>105\.00 USD/);
  assert.match(result, /return to the app/);
  assert.doesNotMatch(result, /http-equiv="refresh"/, 'a credited order is final: the page stops reloading');
  // The receipt link follows the credit by a provider call.
  const succeeded = await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded'], { until: (paid) => paid.receipt_url !== null });
  assert.equal(succeeded.receipt_url, checkoutUrl);
  assert.equal(await balanceOf(pipeline.api, account.apiKey), '105.000000');

  const again = await submitSandboxForm(checkoutUrl, 'pay', page);
  assert.equal(again.status, 409);
});

// Before, Decline completed the session unpaid and failed the order, and the result page then said
// "You can resume or cancel the order" of a failed order. Stripe Checkout lets the customer try another
// card in the same session, and so does the sandbox now.
test('declining on the sandbox page keeps the order open, says so, and the customer can then pay in the same session', async () => {
  const account = await createTestAccount(pipeline.api, 'USD');
  const order = await createPendingOrder(pipeline.api, account.apiKey, hundredDollarPackage);
  const checkoutUrl = String(order.checkout_url);
  const page = await openSandboxPage(checkoutUrl);
  const declined = await submitSandboxForm(checkoutUrl, 'decline', page);
  assert.equal(declined.status, 303);
  const back = String(declined.headers.get('location'));
  assert.match(back, /^\/sandbox\/checkout\/cs_sandbox_[0-9a-z]+\?declined=1$/);
  const again = await openSandboxPage(`${pipeline.api.baseUrl}${back}`, page.cookie);
  assert.match(again.html, /The payment was declined\.<\/strong> No money moved and the order is still open/);
  assert.match(again.html, /<button class="pay" type="submit">Pay<\/button>/);
  const read = await pipeline.api.request('GET', `/v1/topups/${order.id}`, { token: account.apiKey });
  assert.equal(read.body.status, 'pending');

  // The return page of a customer who leaves now says what is true: the order is open, nothing charged.
  const left = await (await fetch(`${pipeline.api.baseUrl}/checkout/return?order_id=${order.id}&result=cancel`)).text();
  assert.match(left, /The order is still open until <time/);
  assert.match(left, /Back to the payment page/);

  const paid = await submitSandboxForm(checkoutUrl, 'pay', again);
  assert.equal(paid.status, 303);
  await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
  assert.equal(await balanceOf(pipeline.api, account.apiKey), '105.000000');
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
