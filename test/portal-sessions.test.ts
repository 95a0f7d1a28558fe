// Billing portal sessions: the link a platform's server asks for (POST /admin/accounts/{id}/portal-sessions),
// what opening it does (the refill_portal cookie, the redirect to /portal with only its own parameters),
// the pages for a forged, expired or ended session, and the token on /v1: its own account only, and only
// the portal's routes (the allowlist in api/portal-session-access.ts).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseSetCookie } from 'cookie';
import { apiOperations } from '../api/openapi/operations.ts';
import { portalSessionRoutes } from '../api/portal-session-access.ts';
import { signPortalSession } from '../ids/portal-sessions.ts';
import { createTestAccount, startTestApi, testAdminToken, type TestApi } from './support/api.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { insertOrderDirectly, stripeOrderInput } from './support/orders.ts';

let database: TestDatabase;
let api: TestApi;

before(async () => {
  database = await createTestDatabase();
  api = await startTestApi({
    sql: database.sql,
    databaseUrl: database.url,
    environment: { ALLOWED_REDIRECT_HOSTS: 'shop.example.com,127.0.0.1,localhost' },
  });
});
after(async () => {
  await api.close();
  await database.close();
});

const returnUrl = 'https://shop.example.com/account?from=portal';

async function portalLink(accountId: string, body: Record<string, unknown> = { return_url: returnUrl }) {
  return api.request('POST', `/admin/accounts/${accountId}/portal-sessions`, { token: testAdminToken, body });
}

/** The token of a link (the last path segment). */
function tokenOf(url: string): string {
  return new URL(url).pathname.split('/').at(-1)!;
}

/** GET without following redirects, with an optional cookie; the raw answer. */
async function browse(path: string, cookie?: string): Promise<Response> {
  return fetch(`${api.baseUrl}${path}`, { redirect: 'manual', headers: cookie === undefined ? {} : { cookie: `refill_portal=${cookie}` } });
}

test('a platform gets a signed link for an account; opening it sets an HttpOnly SameSite=Lax cookie on /portal and lands on the tab it names', async () => {
  const { accountId } = await createTestAccount(api, 'USD');
  const created = await portalLink(accountId, { return_url: returnUrl, locale: 'zh-CN' });
  assert.equal(created.status, 201, created.text);
  assert.deepEqual(Object.keys(created.body).sort(), ['account_id', 'expires_at', 'locale', 'return_url', 'url']);
  assert.equal(created.body.account_id, accountId);
  assert.equal(created.body.locale, 'zh-CN');
  assert.equal(created.body.return_url, returnUrl);
  assert.match(created.body.url, new RegExp(`^${api.baseUrl}/portal/sessions/rps_[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}$`));
  const minutesLeft = (Date.parse(created.body.expires_at) - Date.now()) / 60_000;
  assert.ok(minutesLeft > 59 && minutesLeft <= 60, `expires in ${minutesLeft} minutes, not the default 60`);
  assert.doesNotMatch(created.text, /rfk_/, 'the link never carries an API key');

  const opened = await browse(`${new URL(created.body.url).pathname}?tab=top-up&package_id=usd_100&evil=1&order_id=%3Cscript%3E`);
  assert.equal(opened.status, 303);
  assert.equal(opened.headers.get('location'), '/portal?tab=top-up&package_id=usd_100', 'only tab, package_id and order_id of a plain shape pass');
  const cookie = parseSetCookie(opened.headers.get('set-cookie') ?? '');
  assert.equal(cookie.name, 'refill_portal');
  assert.equal(cookie.value, tokenOf(created.body.url));
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'lax');
  assert.equal(cookie.path, '/portal');
  assert.equal(cookie.secure, undefined, 'not Secure while PUBLIC_BASE_URL is http');
  assert.ok(cookie.maxAge !== undefined && cookie.maxAge > 3_500 && cookie.maxAge <= 3_600, `Max-Age ${cookie.maxAge}`);

  const shell = await browse('/portal?tab=top-up', cookie.value);
  assert.equal(shell.status, 200);
  const html = await shell.text();
  assert.match(html, /<html lang="zh-CN">/);
  assert.match(html, /<main id="portal"/);
  assert.match(html, /<script type="module" src="\/portal\/assets\/portal.js"><\/script>/);
  assert.match(html, /<link rel="stylesheet" href="\/portal\/assets\/portal.css">/);
  assert.match(shell.headers.get('content-security-policy') ?? '', /script-src 'self'.*connect-src 'self'.*frame-ancestors 'none'/);
  assert.match(await (await browse('/portal?lang=en', cookie.value)).text(), /<html lang="en">/, '?lang= switches the language');

  const session = await api.request('GET', '/portal/session', { headers: { cookie: `refill_portal=${cookie.value}` } });
  assert.equal(session.status, 200);
  const sessionBody = session.body;
  assert.equal(sessionBody.token, cookie.value);
  assert.equal(sessionBody.account_id, accountId);
  assert.equal(sessionBody.currency, 'USD');
  assert.equal(sessionBody.locale, 'zh-CN');
  assert.equal(sessionBody.return_url, returnUrl);
  assert.equal(sessionBody.expires_at, created.body.expires_at);
  assert.equal(session.headers.get('access-control-allow-origin'), null, 'no other site may read the token');

  const script = await browse('/portal/assets/portal.js');
  assert.equal(script.status, 200, 'npm test builds the portal before it runs the tests');
  assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.equal((await browse('/portal/assets/..%2Fworkflow-bundle.js')).status, 404);
});

test('a link is refused for an unknown account (404), a return_url outside ALLOWED_REDIRECT_HOSTS (422 redirect_not_allowed) or not http(s)', async () => {
  const { accountId } = await createTestAccount(api, 'CNY');
  const unknown = await portalLink('acct_000000000000000000000000');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'not_found');
  assert.equal((await portalLink('not-an-account')).status, 404);

  const elsewhere = await portalLink(accountId, { return_url: 'https://evil.example/phish' });
  assert.equal(elsewhere.status, 422);
  assert.equal(elsewhere.body.error.code, 'redirect_not_allowed');
  assert.equal(elsewhere.body.error.field, 'return_url');

  const script = await portalLink(accountId, { return_url: 'javascript:alert(1)' });
  assert.equal(script.status, 422);
  assert.equal(script.body.error.code, 'invalid_field');
  const locale = await portalLink(accountId, { return_url: returnUrl, locale: 'fr' });
  assert.equal(locale.status, 422);
  assert.equal((await portalLink(accountId, {})).body.error.code, 'missing_field');
});

test('a forged link is a 403 page, an expired one a 410 page linking back; an ended session is a 401 page, and the session JSON 401', async () => {
  const { accountId } = await createTestAccount(api, 'USD');
  const created = await portalLink(accountId);
  const token = tokenOf(created.body.url);
  const [payload, mac] = token.slice('rps_'.length).split('.') as [string, string];
  const changed = `rps_${payload.slice(0, -2)}${payload.at(-2) === 'A' ? 'B' : 'A'}${payload.at(-1)}.${mac}`;
  const foreign = signPortalSession('another installation entirely, thirty-two+', { accountId, locale: 'en', returnUrl, expiresAtSeconds: Math.floor(Date.now() / 1000) + 600 });
  for (const forged of [changed, foreign, 'rps_x.y', 'garbage']) {
    const answer = await browse(`/portal/sessions/${forged}`);
    assert.equal(answer.status, 403, forged);
    assert.match(answer.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await answer.text(), /Open the billing portal again from the website you came from/);
    assert.equal(answer.headers.get('set-cookie'), null);
  }

  const expired = signPortalSession(api.config.portal.sessions.secret, { accountId, locale: 'zh-CN', returnUrl, expiresAtSeconds: Math.floor(Date.now() / 1000) - 1 });
  const old = await browse(`/portal/sessions/${expired}`);
  assert.equal(old.status, 410);
  const oldPage = await old.text();
  assert.match(oldPage, /<html lang="zh-CN">/);
  assert.match(oldPage, /链接已过期/);
  assert.ok(oldPage.includes('href="https://shop.example.com/account?from=portal"'), 'links back to the platform');

  const ended = await browse('/portal', expired);
  assert.equal(ended.status, 401);
  assert.match(await ended.text(), /会话已结束/);
  const none = await browse('/portal');
  assert.equal(none.status, 401);
  assert.match(await none.text(), /Your session has ended/);
  const json = await api.request('GET', '/portal/session', { headers: { cookie: `refill_portal=${expired}` } });
  assert.equal(json.status, 401);
  assert.equal(json.body.error.code, 'unauthorized');
});

test('on /v1 the token is its account for the portal\'s routes only: usage is 403 forbidden, another account\'s order 404, an expired token 401', async () => {
  const first = await createTestAccount(api, 'USD');
  const second = await createTestAccount(api, 'USD');
  const token = tokenOf((await portalLink(first.accountId)).body.url);

  const balance = await api.request('GET', '/v1/balance', { token });
  assert.equal(balance.status, 200);
  assert.equal(balance.body.account_id, first.accountId);
  assert.equal((await api.request('GET', '/v1/topup-options', { token })).status, 200);

  const usage = await api.request('POST', '/v1/consumptions', { token, idempotencyKey: 'portal-usage-1', body: { amount: '1.00', description: 'x' } });
  assert.equal(usage.status, 403);
  assert.equal(usage.body.error.code, 'forbidden');
  assert.match(usage.body.error.message, /A portal session cannot POST \/v1\/consumptions/);
  for (const [method, path] of [['GET', '/v1/holds'], ['GET', '/v1/spend-limits'], ['GET', '/v1/no-such-route']] as const) {
    assert.equal((await api.request(method, path, { token })).status, 403, `${method} ${path}`);
  }
  assert.equal((await api.request('GET', '/admin/accounts', { token })).status, 401, 'never an operator');

  const theirs = stripeOrderInput(second.accountId);
  await insertOrderDirectly(database.sql, theirs);
  const foreign = await api.request('GET', `/v1/topups/${theirs.orderId}`, { token });
  assert.equal(foreign.status, 404);
  assert.equal(foreign.body.error.code, 'not_found');
  const ownToken = tokenOf((await portalLink(second.accountId)).body.url);
  assert.equal((await api.request('GET', `/v1/topups/${theirs.orderId}`, { token: ownToken })).status, 200, 'its own account reads it');

  const expired = signPortalSession(api.config.portal.sessions.secret, { accountId: first.accountId, locale: 'en', returnUrl, expiresAtSeconds: Math.floor(Date.now() / 1000) - 1 });
  const late = await api.request('GET', '/v1/balance', { token: expired });
  assert.equal(late.status, 401);
  assert.match(late.body.error.message, /expired/);
  const forged = `${token.slice(0, -3)}${token.endsWith('AAA') ? 'BBB' : 'AAA'}`;
  assert.equal((await api.request('GET', '/v1/balance', { token: forged })).status, 401);
});

test('every route of the allowlist is a route of the contract', () => {
  const served = new Set(apiOperations.map((operation) => `${operation.method.toUpperCase()} ${operation.path}`));
  for (const [method, path] of portalSessionRoutes) assert.ok(served.has(`${method} ${path}`), `${method} ${path}`);
});
