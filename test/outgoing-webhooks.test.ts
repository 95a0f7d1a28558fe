// Outgoing webhooks end to end: events written by the outbox triggers in the state change's
// transaction, delivered by the worker's dispatcher to an HTTP endpoint started here, signed so that
// Stripe's own helper verifies them, retried with backoff, redelivered on demand, never lost by a
// worker that stops between the state change and the delivery, and never sent to a private address.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Stripe from 'stripe';
import { addressedTo, startMailInbox, type MailInbox } from '../dev/mail-inbox.ts';
import { claimDueDeliveries } from '../db/webhooks/claim-due-deliveries.ts';
import { createTestAccount, testAdminToken } from './support/api.ts';
import { eventually } from './support/eventually.ts';
import { createPendingOrder, paidEvent } from './support/orders.ts';
import { sendWebhook, startTestPipeline, waitForOrder, type TestPipeline } from './support/pipeline.ts';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from './support/webhook-receiver.ts';
import { checkedLookup } from '../worker/webhooks/destination.ts';
import { postEvent } from '../worker/webhooks/post-event.ts';

const opsEmail = 'ops-webhooks@example.com';
const stripe = new Stripe('sk_test_verifier');
let inbox: MailInbox;
let pipeline: TestPipeline;
let receiver: WebhookReceiver;

before(async () => {
  inbox = await startMailInbox({ smtpPort: 0, webPort: null, storageDirectory: null });
  pipeline = await startTestPipeline({
    environment: {
      SMTP_URL: inbox.smtpUrl,
      WEBHOOK_ALLOWED_DESTINATIONS: 'loopback',
      WEBHOOK_FIRST_RETRY_SECONDS: '1',
      WEBHOOK_POLL_INTERVAL_MILLISECONDS: '100',
      WEBHOOK_OPS_EMAIL: opsEmail,
    },
  });
  receiver = await startWebhookReceiver();
});
after(async () => {
  await pipeline.close();
  await receiver.close();
  await inbox.stop();
});

async function createEndpoint(events: string[], url = receiver.url): Promise<{ id: string; secret: string }> {
  const response = await pipeline.api.request('POST', '/admin/webhook-endpoints', { token: testAdminToken, body: { url, events, description: 'test' } });
  assert.equal(response.status, 201, response.text);
  assert.match(response.body.secret, /^whsec_[0-9a-f]{64}$/);
  return { id: response.body.id, secret: response.body.secret };
}

async function deleteEndpoint(id: string): Promise<void> {
  const response = await pipeline.api.request('DELETE', `/admin/webhook-endpoints/${id}`, { token: testAdminToken });
  assert.equal(response.status, 204, response.text);
}

/** The endpoint's deliveries as ops list them, newest first. */
async function deliveriesOf(endpointId: string, query = '') {
  const response = await pipeline.api.request('GET', `/admin/webhook-events?endpoint_id=${endpointId}${query}`, { token: testAdminToken });
  assert.equal(response.status, 200, response.text);
  return response.body.data as { id: string; event_id: string; type: string; account_id: string; status: string; attempts: { status_code: number | null; error: string | null }[] }[];
}

function receivedFor(accountId: string): ReceivedWebhook[] {
  return receiver.received.filter((request) => request.event.account_id === accountId);
}

test("a top-up's life reaches a subscribed endpoint signed (Stripe's helper verifies it), each event at least once and none other", async () => {
  const everything = await createEndpoint(['*']);
  const cancelsOnly = await createEndpoint(['topup.cancelled'], `${receiver.url}?cancels`);
  const listed = await pipeline.api.request('GET', `/admin/webhook-endpoints/${everything.id}`, { token: testAdminToken });
  assert.equal(listed.body.secret, undefined, 'the secret is shown only at creation');
  const account = await createTestAccount(pipeline.api, 'USD');
  const order = await createPendingOrder(pipeline.api, account.apiKey);
  assert.equal((await sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, order))).status, 200);
  await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded'], { until: (found) => found.invoice_number !== null });
  const seen = await eventually(
    () => {
      const types = new Set(receivedFor(account.accountId).map((request) => request.event.type));
      return types.has('topup.succeeded') && types.has('invoice.issued') ? receivedFor(account.accountId) : undefined;
    },
    { description: 'topup.succeeded and invoice.issued at the endpoint' },
  );
  for (const request of seen) {
    const verified = stripe.webhooks.constructEvent(request.body, request.signature!, everything.secret) as unknown as { id: string };
    assert.equal(verified.id, request.event.id);
    assert.throws(() => stripe.webhooks.constructEvent(request.body, request.signature!, cancelsOnly.secret), /signature/i);
  }
  assert.deepEqual([...new Set(seen.map((request) => request.event.type))].sort(), ['invoice.issued', 'topup.succeeded']);
  const succeeded = seen.find((request) => request.event.type === 'topup.succeeded')!.event;
  assert.deepEqual({ id: succeeded.data.id, status: succeeded.data.status, credit: succeeded.data.credit }, { id: order.id, status: 'succeeded', credit: '20.000000' });
  assert.match(succeeded.id, /^evt_[0-9a-f]{32}$/);
  // The endpoint of cancellations only got nothing of this order's life.
  assert.deepEqual(await deliveriesOf(cancelsOnly.id), []);
  // The endpoint has the event once its answer arrives; the dispatcher records the delivery just after.
  const delivered = await eventually(
    async () => {
      const found = (await deliveriesOf(everything.id, '&status=delivered&type=topup.succeeded')).filter((delivery) => delivery.account_id === account.accountId);
      return found.length > 0 ? found : undefined;
    },
    { description: 'the topup.succeeded delivery recorded as delivered' },
  );
  assert.equal(delivered.length, 1);
  await deleteEndpoint(everything.id);
  await deleteEndpoint(cancelsOnly.id);
});

test('an endpoint that answers 500 twice and then 200 gets the event on the third attempt; redelivery sends it again', async () => {
  const endpoint = await createEndpoint(['webhook_endpoint.test']);
  receiver.answerNext([500, 500]);
  const sent = await pipeline.api.request('POST', `/admin/webhook-endpoints/${endpoint.id}/test`, { token: testAdminToken });
  assert.equal(sent.status, 202, sent.text);
  const delivery = await eventually(
    async () => (await deliveriesOf(endpoint.id, '&status=delivered')).find((found) => found.id === sent.body.delivery_id),
    { description: 'the test event delivered' },
  );
  assert.deepEqual(delivery.attempts.map((attempt) => attempt.status_code), [500, 500, 200]);
  assert.equal(delivery.attempts[0]!.error, 'the endpoint answered 500');
  assert.equal(receiver.received.filter((request) => request.event.id === sent.body.event_id).length, 3);

  const redelivered = await pipeline.api.request('POST', `/admin/webhook-events/${sent.body.event_id}/redeliver`, { token: testAdminToken });
  assert.deepEqual({ status: redelivered.status, ids: redelivered.body.redelivered }, { status: 202, ids: [sent.body.delivery_id] });
  await eventually(() => (receiver.received.filter((request) => request.event.id === sent.body.event_id).length === 4 ? true : undefined), {
    description: 'the redelivered event',
  });
  const missing = await pipeline.api.request('POST', `/admin/webhook-events/whd_${'0'.repeat(32)}/redeliver`, { token: testAdminToken });
  assert.equal(missing.status, 404);
  await deleteEndpoint(endpoint.id);
});

test('a worker stopped between the state change and the delivery, or in the middle of an attempt, loses no event', async () => {
  const endpoint = await createEndpoint(['topup.succeeded']);
  await pipeline.stopDispatcher();
  const account = await createTestAccount(pipeline.api, 'USD');
  const order = await createPendingOrder(pipeline.api, account.apiKey);
  assert.equal((await sendWebhook(pipeline.api, await paidEvent(pipeline.database.sql, order))).status, 200);
  await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
  const [pending] = await deliveriesOf(endpoint.id, '&status=pending');
  assert.deepEqual({ type: pending?.type, attempts: pending?.attempts.length }, { type: 'topup.succeeded', attempts: 0 });
  // A dispatcher claims it and dies before its attempt's outcome is recorded: its claim runs out.
  const claimed = await claimDueDeliveries(pipeline.database.sql, 100, 1_000);
  assert.deepEqual(claimed.map((delivery) => delivery.id), [pending!.id]);
  pipeline.startDispatcher();
  const delivered = await eventually(async () => (await deliveriesOf(endpoint.id, '&status=delivered'))[0], { description: 'the delivery after the restart' });
  assert.equal(delivered.id, pending!.id);
  assert.equal(receivedFor(account.accountId).filter((request) => request.event.type === 'topup.succeeded').length, 1);
  await deleteEndpoint(endpoint.id);
});

test('destinations: only http(s) URLs, no private or link-local address, checked again on the address an attempt resolves', async () => {
  for (const url of ['ftp://example.com/hook', 'http://169.254.169.254/latest', 'http://10.0.0.5/hook', 'http://[fe80::1]/hook', 'not a url']) {
    const response = await pipeline.api.request('POST', '/admin/webhook-endpoints', { token: testAdminToken, body: { url, events: ['*'] } });
    assert.equal(response.status, 422, url);
    assert.equal(response.body.error.code, 'webhook_url_not_allowed', url);
  }
  const unknownType = await pipeline.api.request('POST', '/admin/webhook-endpoints', { token: testAdminToken, body: { url: receiver.url, events: ['topup.paid'] } });
  assert.equal(unknownType.status, 422);
  // Under the default policy a loopback URL is refused before connecting, and the lookup each attempt
  // connects through refuses a name whose address is loopback, whatever the URL's text says.
  const before = receiver.received.length;
  const attempt = await postEvent({ url: receiver.url.replace('127.0.0.1', 'localhost'), secret: 'whsec_x', body: '{}', timeout_ms: 2_000, policy: 'public', now: new Date() });
  assert.deepEqual({ delivered: attempt.delivered, statusCode: attempt.statusCode }, { delivered: false, statusCode: null });
  assert.match(attempt.error ?? '', /destination refused/);
  const lookupError = await new Promise<Error | null>((resolve) => checkedLookup('public')('localhost', {}, (error) => resolve(error)));
  assert.match(lookupError?.message ?? '', /loopback address/);
  const allowed = await new Promise<Error | null>((resolve) => checkedLookup('loopback')('localhost', {}, (error) => resolve(error)));
  assert.equal(allowed, null);
  assert.equal(receiver.received.length, before, 'nothing reached the loopback listener');
});

test('an endpoint failing for three days is disabled, its pending deliveries failed, and ops are emailed', async () => {
  const endpoint = await createEndpoint(['webhook_endpoint.test']);
  await pipeline.database.sql`update webhook_endpoints set failing_since = now() - interval '3 days 1 minute' where id = ${endpoint.id}`;
  receiver.answerNext([503]);
  const sent = await pipeline.api.request('POST', `/admin/webhook-endpoints/${endpoint.id}/test`, { token: testAdminToken });
  assert.equal(sent.status, 202);
  const mail = await inbox.waitForMessage(addressedTo(opsEmail), 20_000);
  assert.match(mail.parsed.subject ?? '', new RegExp(endpoint.id));
  const shown = await pipeline.api.request('GET', `/admin/webhook-endpoints/${endpoint.id}`, { token: testAdminToken });
  assert.equal(shown.body.enabled, false);
  assert.match(shown.body.disabled_reason, /three days/);
  const [failed] = await deliveriesOf(endpoint.id, '&status=failed');
  assert.equal(failed?.id, sent.body.delivery_id);
  const refused = await pipeline.api.request('POST', `/admin/webhook-events/${sent.body.delivery_id}/redeliver`, { token: testAdminToken });
  assert.equal(refused.body.error?.code, 'webhook_endpoint_disabled');
  // Ops bring it back: a private URL is still refused, enabling clears the streak, and the event goes out.
  const privateUrl = await pipeline.api.request('PATCH', `/admin/webhook-endpoints/${endpoint.id}`, { token: testAdminToken, body: { url: 'http://192.168.1.10/hook' } });
  assert.equal(privateUrl.body.error?.code, 'webhook_url_not_allowed');
  const enabled = await pipeline.api.request('PATCH', `/admin/webhook-endpoints/${endpoint.id}`, { token: testAdminToken, body: { enabled: true } });
  assert.deepEqual({ enabled: enabled.body.enabled, reason: enabled.body.disabled_reason, failingSince: enabled.body.failing_since }, { enabled: true, reason: null, failingSince: null });
  const reopened = await pipeline.api.request('POST', `/admin/webhook-events/${sent.body.delivery_id}/redeliver`, { token: testAdminToken });
  assert.equal(reopened.status, 202, reopened.text);
  await eventually(async () => (await deliveriesOf(endpoint.id, '&status=delivered'))[0], { description: 'the event delivered once the endpoint is enabled' });
  await deleteEndpoint(endpoint.id);
});
