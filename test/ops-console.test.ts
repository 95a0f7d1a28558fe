// The ops console over HTTP, on one pipeline (Postgres, Temporal dev server, worker, API): sign-in with
// an operator's token, the session cookie's attributes, CSRF refusals that change nothing, sign-out
// ending the session server-side, the queues listing what they should, and an action's error shown on
// the page with nothing changed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { parseSetCookie } from 'cookie';
import { createTestCustomer, startTestApi, testAdminToken, uniqueKey, type TestApi } from './support/api.ts';
import { eventually } from './support/eventually.ts';
import { testOperatorToken } from './support/operators.ts';
import { createPendingOrder, createTopUp } from './support/orders.ts';
import { startTestPipeline, waitForOrder, type OrderJson, type TestPipeline } from './support/pipeline.ts';

let pipeline: TestPipeline;

before(async () => {
  pipeline = await startTestPipeline({ environment: { TEMPORAL_UI_URL: 'http://temporal-ui.test:8233/' } });
});
after(async () => {
  await pipeline.close();
});

const remitter = { remitter_name: '李雷', bank_name: 'ICBC Beijing', remarks: 'March top-up', agreement_accepted: true };

interface Page {
  status: number;
  headers: Headers;
  html: string;
}

/** A browser-like client of the console: it keeps the session cookie and sends its own Origin. */
class ConsoleClient {
  cookie: string | null = null;
  constructor(
    readonly api: TestApi,
    readonly origin: string = api.baseUrl,
  ) {}

  async send(method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    const sent: Record<string, string> = { ...(this.cookie === null ? {} : { cookie: this.cookie }), ...headers };
    if (form !== undefined) {
      sent['content-type'] = 'application/x-www-form-urlencoded';
      if (headers.origin === undefined && !('origin' in headers)) sent.origin = this.origin;
    }
    for (const [name, value] of Object.entries(sent)) if (value === '') delete sent[name];
    const response = await fetch(`${this.api.baseUrl}${path}`, {
      method,
      headers: sent,
      redirect: 'manual',
      ...(form === undefined ? {} : { body: new URLSearchParams(form).toString() }),
    });
    for (const header of response.headers.getSetCookie()) {
      const parsed = parseSetCookie(header);
      if (parsed.name === 'refill_ops') this.cookie = parsed.value === '' ? null : `refill_ops=${parsed.value}`;
    }
    return { status: response.status, headers: response.headers, html: await response.text() };
  }

  async signIn(token: string): Promise<Page> {
    return this.send('POST', '/ops/sign-in', { token });
  }

  /** The CSRF token the page's forms carry. */
  async csrfToken(path = '/ops'): Promise<string> {
    const page = await this.send('GET', path);
    const match = /name="csrf_token" value="([^"]+)"/.exec(page.html);
    assert.ok(match, `no CSRF token on ${path}: ${page.status} ${page.html.slice(0, 300)}`);
    return match[1]!;
  }
}

async function orderStatus(orderId: string): Promise<string> {
  const [row] = await pipeline.database.sql<{ status: string }[]>`select status from orders where id = ${orderId}`;
  return row!.status;
}

async function rechargeCount(orderId: string): Promise<number> {
  const [row] = await pipeline.database.sql<{ count: number }[]>`
    select count(*)::int as count from transfers where order_id = ${orderId} and flow_type = 'recharge'`;
  return row!.count;
}

const bankOrder = (apiKey: string, amount = '120.00') =>
  createPendingOrder(pipeline.api, apiKey, { amount, payment_method: 'bank_transfer', bank_transfer: remitter });

/** The text of the page's notices (success or error), without markup. */
function notice(html: string): string {
  return [...html.matchAll(/<div class="notice [a-z]+" role="(?:status|alert)">(.*?)<\/div>/g)].map((match) => match[1]!.replace(/<[^>]+>/g, '')).join(' ');
}

describe('signing in and out', () => {
  test('a wrong token is refused on the page; the right one starts a server-side session with a strict cookie', async () => {
    const client = new ConsoleClient(pipeline.api);
    const home = await client.send('GET', '/ops');
    assert.equal(home.status, 303);
    assert.equal(home.headers.get('location'), '/ops/sign-in');
    const form = await client.send('GET', '/ops/sign-in');
    assert.equal(form.status, 200);
    assert.match(form.html, /<label for="token">Operator token<\/label>/);
    assert.match(String(form.headers.get('content-security-policy')), /default-src 'none'.*form-action 'self'/);
    assert.doesNotMatch(String(form.headers.get('content-security-policy')), /script-src/);

    const wrong = await client.signIn('not-an-operator-token-at-all');
    assert.equal(wrong.status, 401);
    assert.match(notice(wrong.html), /unauthorized/);
    assert.equal(client.cookie, null, 'no cookie for a wrong token');
    const customer = await createTestCustomer(pipeline.api, 'CNY', 'ops-sign-in');
    assert.equal((await client.signIn(customer.apiKey)).status, 401, 'a customer key is no operator token');

    const right = await client.signIn(testOperatorToken('alice'));
    assert.equal(right.status, 303, right.html);
    assert.equal(right.headers.get('location'), '/ops');
    const cookie = parseSetCookie(right.headers.getSetCookie().find((header) => header.startsWith('refill_ops='))!);
    assert.deepEqual(
      { httpOnly: cookie.httpOnly, sameSite: cookie.sameSite, path: cookie.path, secure: cookie.secure ?? false, maxAge: cookie.maxAge },
      { httpOnly: true, sameSite: 'strict', path: '/ops', secure: false, maxAge: cookie.maxAge },
    );
    assert.ok(Math.abs(cookie.maxAge! - 8 * 3600) <= 5, `Max-Age ${cookie.maxAge} is OPS_SESSION_HOURS' default of 8 hours`);
    const digest = createHash('sha256').update(cookie.value!).digest('hex');
    const [row] = await pipeline.database.sql<{ operator: string; hours: number; signed_out_at: Date | null }[]>`
      select operator, extract(epoch from expires_at - created_at)::int / 3600 as hours, signed_out_at from ops_sessions where id = ${digest}`;
    assert.deepEqual(row, { operator: 'alice', hours: 8, signed_out_at: null }, 'only the secret\'s digest is stored');
    const signedIn = await client.send('GET', '/ops');
    assert.equal(signedIn.status, 200);
    assert.match(signedIn.html, /Sign out alice/);
    assert.match(signedIn.html, /Bank transfers to review/);

    // Sign-out ends the session in the database: the old cookie no longer opens a page or acts.
    const oldCookie = client.cookie;
    const token = await client.csrfToken();
    const out = await client.send('POST', '/ops/sign-out', { csrf_token: token });
    assert.equal(out.status, 303);
    assert.equal(client.cookie, null, 'the cookie is cleared');
    const [ended] = await pipeline.database.sql<{ signed_out: boolean }[]>`select signed_out_at is not null as signed_out from ops_sessions where id = ${digest}`;
    assert.equal(ended!.signed_out, true);
    client.cookie = oldCookie;
    assert.equal((await client.send('GET', '/ops')).status, 303, 'the old cookie leads to the sign-in page');
    const order = await bankOrder(customer.apiKey);
    const replayed = await client.send('POST', `/ops/topups/${order.id}/start-review`, { csrf_token: token });
    assert.equal(replayed.status, 403);
    assert.match(notice(replayed.html), /csrf_refused/);
    assert.equal(await orderStatus(order.id), 'pending');
  });

  test('behind https the cookie is Secure; failed sign-ins count against the authentication failures /admin counts', async () => {
    const api = await startTestApi({
      sql: pipeline.database.sql,
      databaseUrl: pipeline.database.url,
      taskQueue: pipeline.taskQueue,
      environment: { RATE_LIMIT_AUTH_FAILURES_PER_ADDRESS: '3', OPS_SESSION_HOURS: '2' },
    });
    // The test API points PUBLIC_BASE_URL at its own port once it listens; this one is reached through an https proxy.
    api.config.api.publicBaseUrl = 'https://ops.refill.test';
    try {
      const client = new ConsoleClient(api, 'https://ops.refill.test');
      const signedIn = await client.signIn(testOperatorToken('bob'));
      assert.equal(signedIn.status, 303, signedIn.html);
      const cookie = parseSetCookie(signedIn.headers.getSetCookie()[0]!);
      assert.equal(cookie.secure, true);
      assert.ok(Math.abs(cookie.maxAge! - 2 * 3600) <= 5, 'OPS_SESSION_HOURS=2');
      const stranger = new ConsoleClient(api, 'https://ops.refill.test');
      for (let attempt = 0; attempt < 3; attempt += 1) assert.equal((await stranger.signIn(`wrong-token-${attempt}-0123456789`)).status, 401);
      const locked = await stranger.signIn(testOperatorToken('bob'));
      assert.equal(locked.status, 429, 'past the limit even the right token is refused');
      assert.match(notice(locked.html), /rate_limited/);
      const admin = await api.request('GET', '/admin/topups', { token: testAdminToken });
      assert.equal(admin.status, 429, '/admin shares the count');
    } finally {
      await api.close();
    }
  });
});

describe('CSRF', () => {
  test('a POST without the token, with a wrong one, from a foreign origin or with no origin at all changes nothing', async () => {
    const client = new ConsoleClient(pipeline.api);
    assert.equal((await client.signIn(testOperatorToken('carol'))).status, 303);
    const customer = await createTestCustomer(pipeline.api, 'CNY', 'ops-csrf');
    const order = await bankOrder(customer.apiKey);
    const token = await client.csrfToken('/ops/bank-transfers');
    const path = `/ops/topups/${order.id}/start-review`;
    const refusals: [string, Record<string, string>, Record<string, string>][] = [
      ['no token', {}, {}],
      ['a wrong token', { csrf_token: `${token.slice(0, -2)}xx` }, {}],
      ['another session\'s token', { csrf_token: 'A'.repeat(43) }, {}],
      ['a foreign Origin', { csrf_token: token }, { origin: 'https://evil.example' }],
      ['Origin null and a foreign Referer', { csrf_token: token }, { origin: 'null', referer: 'https://evil.example/page' }],
      ['no Origin and no Referer', { csrf_token: token }, { origin: '' }],
    ];
    for (const [what, form, headers] of refusals) {
      const refused = await client.send('POST', path, form, headers);
      assert.equal(refused.status, 403, what);
      assert.match(notice(refused.html), /csrf_refused/, what);
    }
    assert.equal(await orderStatus(order.id), 'pending', 'nothing changed');
    const audited = await pipeline.database.sql`select 1 from admin_audit_log where target = ${order.id}`;
    assert.equal(audited.length, 0, 'a refused form is not an action');

    // The same form with its token, from the console's own page (a same-origin Referer alone will do).
    const accepted = await client.send('POST', path, { csrf_token: token }, { origin: '', referer: `${pipeline.api.baseUrl}/ops/bank-transfers` });
    assert.equal(accepted.status, 200, accepted.html);
    assert.match(notice(accepted.html), new RegExp(`Order ${order.id}: review started; its status is now processing`));
    assert.equal(await orderStatus(order.id), 'processing');
    const [entry] = await pipeline.database.sql<{ operator: string; action: string; status_code: number; path: string; request_summary: unknown }[]>`
      select operator, action, status_code, path, request_summary from admin_audit_log where target = ${order.id}`;
    assert.deepEqual(entry, { operator: 'carol', action: 'topup.start_review', status_code: 200, path, request_summary: {} });
  });
});

describe('the bank transfers queue', () => {
  test('lists pending and in-review bank transfers with Temporal links; an action\'s error is shown and changes nothing', async () => {
    const client = new ConsoleClient(pipeline.api);
    assert.equal((await client.signIn(testOperatorToken('dave'))).status, 303);
    const customer = await createTestCustomer(pipeline.api, 'CNY', 'ops-queue');
    const pending = await bankOrder(customer.apiKey, '150.00');
    const inReview = await bankOrder(customer.apiKey, '160.00');
    const cancelled = await bankOrder(customer.apiKey, '170.00');
    assert.equal((await pipeline.api.request('POST', `/v1/topups/${cancelled.id}/cancel`, { token: customer.apiKey })).status, 200);
    const card = (await createTopUp(pipeline.api, customer.apiKey, { amount: '180.00', payment_method: 'stripe' })).body as OrderJson;
    assert.equal((await pipeline.api.request('POST', `/admin/topups/${inReview.id}/start-review`, { token: testAdminToken })).status, 200);

    const queue = await client.send('GET', '/ops/bank-transfers');
    assert.equal(queue.status, 200);
    for (const listed of [pending, inReview]) assert.ok(queue.html.includes(`Order <code>${listed.id}</code>`), `${listed.id} is listed`);
    for (const absent of [cancelled, card]) assert.ok(!queue.html.includes(absent.id), `${absent.id} is not listed`);
    assert.ok(queue.html.indexOf(pending.id) < queue.html.indexOf(inReview.id), 'oldest first');
    assert.ok(queue.html.includes(`href="http://temporal-ui.test:8233/namespaces/default/workflows/topup-${inReview.id}"`), 'the Temporal UI link');
    assert.ok(queue.html.includes('李雷'), 'the remitter, in any script');
    assert.ok(queue.html.includes(`action="/ops/topups/${pending.id}/start-review"`));
    assert.ok(queue.html.includes(`action="/ops/topups/${inReview.id}/confirm-transfer"`));
    assert.ok(queue.html.includes('value="160.00"'), 'the amount received starts as the amount to pay');
    const home = await client.send('GET', '/ops');
    assert.match(home.html, /Bank transfers to review<\/a><\/th><td>\d+<\/td>/);

    const token = await client.csrfToken('/ops/bank-transfers');
    const confirm = (form: Record<string, string>) => client.send('POST', `/ops/topups/${inReview.id}/confirm-transfer`, { csrf_token: token, ...form });
    const corrected = await confirm({ amount_received: '150.00', bank_reference: 'ICBC-1', corrected_credit: '150.00', reason: '' });
    assert.equal(corrected.status, 422);
    assert.match(notice(corrected.html), /missing_field \(field reason\)\. reason is required with corrected_credit/);
    const badAmount = await confirm({ amount_received: '1.5.0', bank_reference: 'ICBC-1' });
    assert.equal(badAmount.status, 422);
    assert.match(notice(badAmount.html), /invalid_amount \(field amount_received\)/);
    const early = await client.send('POST', `/ops/topups/${pending.id}/confirm-transfer`, { csrf_token: token, amount_received: '150.00', bank_reference: 'ICBC-2' });
    assert.equal(early.status, 409);
    assert.match(notice(early.html), /order_not_in_review/);
    assert.deepEqual([await orderStatus(inReview.id), await orderStatus(pending.id)], ['processing', 'pending']);
    assert.deepEqual([await rechargeCount(inReview.id), await rechargeCount(pending.id)], [0, 0], 'nothing was credited');
    const [audited] = await pipeline.database.sql<{ count: number }[]>`
      select count(*)::int as count from admin_audit_log where target = ${inReview.id} and operator = 'dave' and status_code = 422`;
    assert.equal(audited!.count, 2, 'refused actions are recorded with their status, as /admin\'s are');

    const rejected = await client.send('POST', `/ops/topups/${inReview.id}/reject-transfer`, { csrf_token: token, reason: '未收到转账' });
    assert.equal(rejected.status, 200, rejected.html);
    assert.match(notice(rejected.html), /transfer rejected/);
    assert.equal(await orderStatus(inReview.id), 'failed');
    assert.ok(!rejected.html.includes(`Order <code>${inReview.id}</code>`), 'a decided transfer leaves the queue');
  });
});

describe('the other queues', () => {
  test('a bank transfer refund waiting for its payout is listed and paid out from the console; every queue has its page and count', async () => {
    const client = new ConsoleClient(pipeline.api);
    assert.equal((await client.signIn(testOperatorToken('erin'))).status, 303);
    const customer = await createTestCustomer(pipeline.api, 'CNY', 'ops-refund');
    const order = await bankOrder(customer.apiKey, '200.00');
    assert.equal((await pipeline.api.request('POST', `/admin/topups/${order.id}/start-review`, { token: testAdminToken })).status, 200);
    const confirmed = await pipeline.api.request('POST', `/admin/topups/${order.id}/confirm-transfer`, { token: testAdminToken, body: { amount_received: '200.00', bank_reference: 'B-OPS' } });
    assert.equal(confirmed.status, 200, confirmed.text);
    await waitForOrder(pipeline.api, customer.apiKey, order.id, ['succeeded']);
    const requested = await pipeline.api.request('POST', `/v1/topups/${order.id}/refund-requests`, { token: customer.apiKey, idempotencyKey: uniqueKey('ops-refund'), body: { amount: '20.00', reason: 'too much' } });
    assert.equal(requested.status, 201, requested.text);
    const refundId = requested.body.id as string;
    await eventually(async () => {
      const [row] = await pipeline.database.sql<{ status: string }[]>`select status from refunds where id = ${refundId}`;
      return row?.status === 'processing' ? true : undefined;
    }, { description: 'the refund to wait for its payout' });

    const queue = await client.send('GET', '/ops/refunds');
    assert.equal(queue.status, 200);
    assert.ok(queue.html.includes(`Refund <code>${refundId}</code>`), 'the refund is listed');
    assert.ok(queue.html.includes(`action="/ops/refunds/${refundId}/confirm-payout"`));
    assert.ok(queue.html.includes(`/workflows/refund-${refundId}"`), 'with its workflow in the Temporal UI');
    const token = await client.csrfToken('/ops/refunds');
    const missing = await client.send('POST', `/ops/refunds/${refundId}/confirm-payout`, { csrf_token: token, bank_reference: ' ' });
    assert.equal(missing.status, 422);
    assert.match(notice(missing.html), /missing_field \(field bank_reference\)/);
    const [unchanged] = await pipeline.database.sql<{ status: string }[]>`select status from refunds where id = ${refundId}`;
    assert.equal(unchanged!.status, 'processing');
    const paid = await client.send('POST', `/ops/refunds/${refundId}/confirm-payout`, { csrf_token: token, bank_reference: '工行-PAYOUT-1' });
    assert.equal(paid.status, 200, paid.html);
    assert.match(notice(paid.html), new RegExp(`Refund ${refundId}: payout confirmed; its status is now succeeded`));
    assert.ok(!paid.html.includes(`Refund <code>${refundId}</code>`), 'a paid-out refund leaves the queue');

    for (const [path, heading] of [
      ['/ops/held-orders', 'Orders held for review'],
      ['/ops/payment-exceptions', 'Payment exceptions'],
      ['/ops/auto-recharges', 'Paused auto-recharges'],
    ]) {
      const page = await client.send('GET', path!);
      assert.equal(page.status, 200, path);
      assert.ok(page.html.includes(`<h1>${heading}</h1>`), path);
      assert.ok(page.html.includes(`href="${path}" aria-current="page"`), `${path} is marked in the navigation`);
    }
    const home = await client.send('GET', '/ops');
    assert.equal([...home.html.matchAll(/<tr><th scope="row"><a href="\/ops\/[a-z-]+">/g)].length, 5, 'five queues with their counts');
  });
});
