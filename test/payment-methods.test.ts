// Saved cards and auto-recharge settings on the real Express app and Postgres, with the sandbox provider
// (no Stripe key): the "Save card" page's test cards arrive as signed setup events through the webhook;
// listing, the default, deleting (which switches off the auto-recharge charging the card); and the
// settings' validation, consent, state and ops' list.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Stripe from 'stripe';
import { errorCodes } from '../domain/errors.ts';
import { createTestAccount, startTestApi, testAdminToken, uniqueKey, type TestApi, type TestResponse } from './support/api.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { openSandboxPage } from './support/sandbox-page.ts';

let database: TestDatabase;
let api: TestApi;

before(async () => {
  database = await createTestDatabase(10);
  api = await startTestApi({ sql: database.sql, databaseUrl: database.url });
});
after(async () => {
  await api.close();
  await database.close();
});

interface Customer {
  accountId: string;
  apiKey: string;
}

function call(customer: Customer, method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<TestResponse> {
  return api.request(method, path, { token: customer.apiKey, body, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) });
}

/** Opens a setup and saves the given test card on the sandbox page, as a customer's browser does. */
async function saveCard(customer: Customer, card: string): Promise<TestResponse> {
  const setup = await call(customer, 'POST', '/v1/payment-methods/setup', {}, uniqueKey('setup'));
  assert.equal(setup.status, 201, setup.text);
  const page = await openSandboxPage(setup.body.setup_url);
  assert.equal(page.status, 200);
  const saved = await fetch(`${setup.body.setup_url}/save`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: page.cookie! },
    body: new URLSearchParams({ csrf_token: page.csrfToken!, card }).toString(),
  });
  assert.equal(saved.status, 303, await saved.text());
  return call(customer, 'GET', '/v1/payment-methods');
}

const consent = { ip_address: '203.0.113.7', user_agent: 'Mozilla/5.0 (test)' };

test('a setup returns a setup URL once per Idempotency-Key; the sandbox page offers its four test cards and the saved card is listed without its number', async () => {
  const customer = await createTestAccount(api, 'USD');
  const key = uniqueKey('setup');
  const first = await call(customer, 'POST', '/v1/payment-methods/setup', {}, key);
  const again = await call(customer, 'POST', '/v1/payment-methods/setup', {}, key);
  assert.equal(first.status, 201, first.text);
  assert.equal(again.body.setup_url, first.body.setup_url);
  assert.ok(Date.parse(first.body.expires_at) > Date.now());
  assert.equal((await call(customer, 'POST', '/v1/payment-methods/setup', {})).body.error.code, 'idempotency_key_required');
  // The API's own origin (where the billing portal is) is always a place to come back to; another host is not.
  const portalReturn = `${api.baseUrl}/portal?tab=auto-recharge`;
  const toPortal = await call(customer, 'POST', '/v1/payment-methods/setup', { success_url: portalReturn, cancel_url: portalReturn }, uniqueKey('setup'));
  assert.equal(toPortal.status, 201, toPortal.text);
  const elsewhere = await call(customer, 'POST', '/v1/payment-methods/setup', { success_url: 'https://elsewhere.example/done' }, uniqueKey('setup'));
  assert.equal(elsewhere.status, 422, elsewhere.text);
  assert.equal(elsewhere.body.error.code, 'redirect_not_allowed');

  const page = await openSandboxPage(first.body.setup_url);
  for (const label of ['succeeds', 'insufficient_funds', 'stolen_card', 'requires authentication']) assert.match(page.html, new RegExp(label));

  const listed = await saveCard(customer, 'insufficient_funds');
  assert.equal(listed.status, 200);
  assert.equal(listed.body.data.length, 1);
  const [card] = listed.body.data;
  assert.equal(card.brand, 'visa');
  assert.equal(card.last4, '9995');
  assert.equal(card.exp_month, 12);
  assert.ok(card.exp_year >= 2030);
  assert.equal(card.is_default, true, 'the first card is the default');
  assert.doesNotMatch(JSON.stringify(listed.body), /4000000000009995/);
  // Exactly one provider customer for the account, however many setups.
  const [customers] = await database.sql<{ count: bigint }[]>`select count(*)::bigint as count from payment_customers where account_id = ${customer.accountId}`;
  assert.equal(customers!.count, 1n);
});

test('a redelivered setup event stores nothing new, and a setup event for an account that never opened one stores nothing', async () => {
  const customer = await createTestAccount(api, 'USD');
  await saveCard(customer, 'succeeds');
  const [session] = await database.sql<{ id: string; account_id: string; provider_customer_id: string }[]>`
    select id, account_id, provider_customer_id from sandbox_setup_sessions where account_id = ${customer.accountId}`;
  const signer = new Stripe('sk_test_signature_only').webhooks;
  const send = async (accountId: string) => {
    const payload = JSON.stringify({
      id: `evt_${uniqueKey('setup').replace(/-/g, '_')}`,
      type: 'checkout.session.completed',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: session!.id, object: 'checkout.session', mode: 'setup', metadata: { account_id: accountId }, payment_status: 'no_payment_required', status: 'complete' } },
    });
    const signature = signer.generateTestHeaderString({ payload, secret: api.config.stripe.webhookSecret });
    return api.request('POST', '/webhooks/stripe', { rawBody: payload, headers: { 'stripe-signature': signature } });
  };
  const redelivered = await send(customer.accountId);
  assert.equal(redelivered.status, 200, redelivered.text);
  assert.equal((await call(customer, 'GET', '/v1/payment-methods')).body.data.length, 1);
  const stranger = await createTestAccount(api, 'USD');
  const foreign = await send(stranger.accountId);
  assert.equal(foreign.status, 200, foreign.text);
  assert.equal(foreign.body.outcome, 'unknown_order');
  assert.equal((await call(stranger, 'GET', '/v1/payment-methods')).body.data.length, 0);
});

test('the default moves to the chosen card; deleting the card auto-recharge charges disables it with the reason, and only a PUT enables it again', async () => {
  const customer = await createTestAccount(api, 'USD');
  await saveCard(customer, 'succeeds');
  const cards = (await saveCard(customer, 'stolen_card')).body.data;
  const second = cards.find((card: { last4: string }) => card.last4 === '9979');
  const chosen = await call(customer, 'POST', `/v1/payment-methods/${second.id}/default`);
  assert.equal(chosen.status, 200, chosen.text);
  assert.equal(chosen.body.is_default, true);
  const defaults = (await call(customer, 'GET', '/v1/payment-methods')).body.data.filter((card: { is_default: boolean }) => card.is_default);
  assert.deepEqual(defaults.map((card: { id: string }) => card.id), [second.id]);

  const enabled = await call(customer, 'PUT', '/v1/auto-recharge', { enabled: true, threshold: '10', amount: '50', monthly_limit: '200', payment_method_id: second.id, consent });
  assert.equal(enabled.status, 200, enabled.text);
  assert.equal(enabled.body.state, 'active');

  const deleted = await call(customer, 'DELETE', `/v1/payment-methods/${second.id}`);
  assert.equal(deleted.status, 200, deleted.text);
  assert.equal(deleted.body.auto_recharge_disabled, true);
  const after = await call(customer, 'GET', '/v1/auto-recharge');
  assert.equal(after.body.state, 'disabled');
  assert.match(after.body.paused_reason, /card .* was deleted/);
  // The switch-off is an auto_recharge.disabled event, written in the deletion's transaction (migration 0018).
  const disabledEvents = await database.sql<{ object: { reason: string; state: string } }[]>`
    select object from webhook_events where account_id = ${customer.accountId} and type = 'auto_recharge.disabled'`;
  assert.equal(disabledEvents.length, 1);
  assert.equal(disabledEvents[0]!.object.state, 'disabled');
  assert.match(disabledEvents[0]!.object.reason, /card .* was deleted/);
  const remaining = (await call(customer, 'GET', '/v1/payment-methods')).body.data;
  assert.equal(remaining.length, 1);
  assert.equal(remaining[0].is_default, true, 'the remaining card becomes the default');
  assert.equal((await call(customer, 'DELETE', `/v1/payment-methods/${second.id}`)).status, 404);
  assert.equal((await call(customer, 'POST', `/v1/payment-methods/${second.id}/default`)).status, 404);
  // The deleted card cannot be named again.
  const refused = await call(customer, 'PUT', '/v1/auto-recharge', { enabled: true, threshold: '10', amount: '50', monthly_limit: '200', payment_method_id: second.id, consent });
  assert.equal(refused.body.error.code, 'payment_method_not_found');
  const again = await call(customer, 'PUT', '/v1/auto-recharge', { enabled: true, threshold: '10', amount: '50', monthly_limit: '200', consent });
  assert.equal(again.body.state, 'active');
  assert.equal(again.body.paused_reason, null);
  // The customer's own PUTs wrote no further auto_recharge.disabled.
  const [count] = await database.sql<{ count: bigint }[]>`
    select count(*)::bigint as count from webhook_events where account_id = ${customer.accountId} and type = 'auto_recharge.disabled'`;
  assert.equal(count!.count, 1n);
});

test('the settings are validated against the card limits of the account currency, need a monthly limit, a card and consent, and record the consent given', async () => {
  const customer = await createTestAccount(api, 'USD');
  const settings = { enabled: true, threshold: '10', amount: '50', monthly_limit: '200', consent };
  assert.equal((await call(customer, 'PUT', '/v1/auto-recharge', settings)).body.error.code, 'payment_method_required');
  await saveCard(customer, 'succeeds');
  const cases: [Record<string, unknown>, string, string | undefined][] = [
    [{ ...settings, monthly_limit: undefined }, 'missing_field', 'monthly_limit'],
    [{ ...settings, amount: '1.00' }, 'amount_below_minimum', 'amount'],
    [{ ...settings, amount: '10000.01', monthly_limit: '20000' }, 'amount_above_maximum', 'amount'],
    [{ ...settings, amount: undefined, target_balance: '12' }, 'invalid_field', 'target_balance'],
    [{ ...settings, amount: undefined }, 'invalid_request', 'amount'],
    [{ ...settings, target_balance: '100' }, 'invalid_request', 'target_balance'],
    [{ ...settings, consent: undefined }, 'consent_required', 'consent'],
    [{ ...settings, consent: { ip_address: 'not an address', user_agent: 'x' } }, 'invalid_field', 'consent.ip_address'],
    // Only a portal session's consent may leave its fields to the request: an API key's caller is a server.
    [{ ...settings, consent: {} }, 'invalid_field', 'consent.ip_address'],
    [{ ...settings, consent: { ip_address: '203.0.113.7' } }, 'invalid_field', 'consent.user_agent'],
    [{ ...settings, payment_method_id: 'pm_nothing' }, 'payment_method_not_found', 'payment_method_id'],
    [{ ...settings, cooldown_seconds: 5 }, 'invalid_field', 'cooldown_seconds'],
    [{ ...settings, monthly_limit: '20' }, 'invalid_field', 'monthly_limit'],
  ];
  for (const [body, code, field] of cases) {
    const refused = await call(customer, 'PUT', '/v1/auto-recharge', body);
    assert.equal(refused.status, errorCodes[code as keyof typeof errorCodes].status, `${JSON.stringify(body)} → ${refused.text}`);
    assert.equal(refused.body.error.code, code, `${JSON.stringify(body)} → ${refused.text}`);
    assert.equal(refused.body.error.field, field, refused.text);
  }
  assert.equal((await call(customer, 'GET', '/v1/auto-recharge')).status, 404, 'nothing was stored by a refusal');

  const stored = await call(customer, 'PUT', '/v1/auto-recharge', { ...settings, amount: undefined, target_balance: '100' });
  assert.equal(stored.status, 200, stored.text);
  assert.deepEqual(
    { ...stored.body, updated_at: undefined, account_id: undefined, consent: { ...stored.body.consent, time: undefined } },
    {
      enabled: true, currency: 'USD', threshold: '10.000000', amount: null, target_balance: '100.000000', payment_method_id: null,
      monthly_limit: '200.000000', cooldown_seconds: 600, maximum_per_day: 5, state: 'active', paused_reason: null, last_attempt: null,
      consecutive_failures: 0, spent_this_month: '0.000000', settings_version: 1, updated_at: undefined, account_id: undefined,
      consent: { time: undefined, ip_address: '203.0.113.7', user_agent: 'Mozilla/5.0 (test)' },
    },
  );
  const [agreed] = await database.sql<{ consent_settings: Record<string, unknown> }[]>`select consent_settings from auto_recharge_settings where account_id = ${customer.accountId}`;
  assert.equal(agreed!.consent_settings.target_balance, '100.000000');
  assert.equal(agreed!.consent_settings.monthly_limit, '200.000000');

  const off = await call(customer, 'PUT', '/v1/auto-recharge', { ...settings, enabled: false, consent: undefined });
  assert.equal(off.body.state, 'disabled');
  assert.equal(off.body.settings_version, 2);
  assert.equal(off.body.consent.ip_address, '203.0.113.7', 'the consent given is kept');
});

test('ops list auto-recharges by state: a pause the workflow recorded for the current settings shows as paused until the next PUT', async () => {
  const customer = await createTestAccount(api, 'USD');
  await saveCard(customer, 'succeeds');
  const put = await call(customer, 'PUT', '/v1/auto-recharge', { enabled: true, threshold: '10', amount: '50', monthly_limit: '200', consent });
  await database.sql`
    insert into auto_recharge_status (account_id, settings_version, stopped_version, stopped_state, stopped_reason, consecutive_failures)
    values (${customer.accountId}, ${put.body.settings_version}, ${put.body.settings_version}, 'paused', 'three soft declines in a row', 3)`;
  const paused = await api.request('GET', '/admin/auto-recharges?state=paused&limit=100', { token: testAdminToken });
  assert.equal(paused.status, 200, paused.text);
  const mine = paused.body.data.find((each: { account_id: string }) => each.account_id === customer.accountId);
  assert.equal(mine.state, 'paused');
  assert.equal(mine.paused_reason, 'three soft declines in a row');
  assert.equal(mine.consecutive_failures, 3);
  assert.equal((await api.request('GET', '/admin/auto-recharges?state=sleeping', { token: testAdminToken })).body.error.code, 'invalid_query_parameter');
  assert.equal((await call(customer, 'GET', '/admin/auto-recharges')).status, 403);

  const again = await call(customer, 'PUT', '/v1/auto-recharge', { enabled: true, threshold: '10', amount: '50', monthly_limit: '200', consent });
  assert.equal(again.body.state, 'active', 'only the customer’s PUT lifts the pause');
  assert.equal(again.body.consecutive_failures, 0);
  const active = await api.request('GET', '/admin/auto-recharges?state=paused&limit=100', { token: testAdminToken });
  assert.equal(active.body.data.some((each: { account_id: string }) => each.account_id === customer.accountId), false);
});
