// Property-based fuzzing (fast-check) of every route of the Express router, bodies, queries, path
// parameters and Idempotency-Keys, with hostile values: NUL and other control characters, lone
// surrogates, huge numbers, deep nesting, wrong types, prototype-pollution keys. For every request:
// no 5xx; a refusal is the JSON error shape with a documented code and its status (or a page); and a
// refusal changes nothing: balances, orders, flows, accounts, promo codes and ops actions are as before.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { createApp } from '../api/app.ts';
import { loadPricing } from '../config/pricing.ts';
import { errorCodes } from '../domain/errors.ts';
import { createLogger } from '../observability/logger.ts';
import { createTestAccount, testAdminToken, type RequestOptions, type TestResponse } from './support/api.ts';
import { routesOf } from './support/app-routes.ts';
import { rateLimitsOff, startTestPipeline, type TestPipeline } from './support/pipeline.ts';

/** Runs per route: 32 routes, so about 640 requests, some 10 to 25 s depending on the machine's load. */
const runsPerRoute = 20;

let pipeline: TestPipeline;

before(async () => {
  // Sandbox mode mounts the sandbox pages too. Limits are off here: the fuzzer is one client at one
  // address sending thousands of requests, and each must reach the validation it aims at.
  pipeline = await startTestPipeline({
    sandbox: true,
    environment: rateLimitsOff,
  });
});
after(async () => {
  await pipeline.close();
});

// ---- hostile values ----

/** Strings from arbitrary UTF-16 code units: lone surrogates and every control character included. */
const codeUnitString = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 12 }).map((units) => String.fromCharCode(...units));

const hostileString = fc.oneof(
  fc.constantFrom(
    '\u0000', 'a\u0000b', '\u0001', '\t', '\n', '\r\n', '\u001b[2J', '\u007f', '\u0085', '\u009f', '\ud800', 'a\udfff', '\ud83d',
    '__proto__', 'constructor', 'prototype', '', ' ', '%00', '%', '%ZZ', '💸', '<script>alert(1)</script>', "' or 1=1 --",
    'x'.repeat(5_000), '9'.repeat(400), '-1', '0', '1e309', 'NaN', 'Infinity', 'null', 'true', '{}', '[]',
    'https://evil.example/', 'javascript:alert(1)', 'http://localhost/\u0000', 'USD', 'CNY', 'stripe', 'bank_transfer',
  ),
  codeUnitString,
  fc.string({ maxLength: 20 }),
);

const hostileNumber = fc.oneof(
  fc.constantFrom(0, -0, -1, 1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 64, 5e-324, 1_000_000_001),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Objects whose keys would pollute prototypes if a parser or merge assigned them naively. */
const pollutingObject = fc.constantFrom(
  JSON.parse('{"__proto__":{"polluted":"yes"}}') as unknown,
  JSON.parse('{"constructor":{"prototype":{"polluted":"yes"}}}') as unknown,
  JSON.parse('{"__proto__":[],"toString":"x","valueOf":1,"hasOwnProperty":null}') as unknown,
);

/** Nested arrays and objects, deep enough to matter and small enough to stay under the body limit. */
const deeplyNested = fc.integer({ min: 2, max: 2_000 }).map((depth) => {
  let value: unknown = 'bottom';
  for (let level = 0; level < depth; level += 1) value = level % 2 === 0 ? [value] : { a: value };
  return value;
});

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: pollutingObject },
  { weight: 1, arbitrary: deeplyNested },
);

/** Bodies no JSON encoder would produce. */
const rawBodies = fc.constantFrom(
  '', '{', '}', '[]', 'null', '42', '"text"', '{"a":1}{"b":2}', '\u0000', '{"a":"\\ud800"}', '{"amount":"1",}',
  `${'['.repeat(20_000)}${']'.repeat(20_000)}`, `${'{"a":'.repeat(9_000)}1${'}'.repeat(9_000)}`,
  '{"__proto__":{"polluted":"yes"},"amount":"1"}', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('latin1'),
);

/** Percent-encodes every byte of the UTF-8 form (lone surrogates become U+FFFD, as a browser would send them). */
function percentEncoded(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

const hostilePathSegment = fc.oneof(
  hostileString.filter((value) => value.length > 0 && value.length < 300).map(percentEncoded),
  fc.constantFrom('%', '%ZZ', '%E0%A4%A', '%C3', '%ED%A0%80', '..', '.%2e', '%2F..%2F', 'ord_', 'ORD_ABC', 'pex_', 'cs_sandbox_'),
);

const idempotencyKey = fc.oneof(
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 40 }).filter((value) => /^[\x21-\x7e]+$/.test(value)),
  fc.constantFrom(' ', 'with space', 'x'.repeat(256), 'x'.repeat(255), '%00', 'é'),
);

// ---- the routes ----

type Caller = 'customer' | 'cny' | 'admin' | 'none';

interface RouteSpec {
  caller: Caller;
  /** The valid values of the route's path parameter, if it has one. */
  parameter?: () => string;
  /** A valid body; the fuzzer replaces, adds and removes its fields, or sends something else entirely. */
  body?: Record<string, unknown>;
  /** Query parameters the route reads. */
  query?: string[];
  /** The route may answer with an HTML page instead of JSON. */
  page?: boolean;
  /** The route takes a form body instead of JSON. */
  form?: boolean;
}

interface Fixtures {
  stripeOrderId: string;
  cancelledBankOrderId: string;
  sandboxSessionId: string;
  promoCode: string;
}

function routeSpecs(fixtures: Fixtures): Record<string, RouteSpec> {
  const bankTransfer = { remitter_name: 'Li Lei', bank_name: 'ICBC', remarks: 'fuzz', agreement_accepted: true };
  const stripeOrder = () => fixtures.stripeOrderId;
  // Ops actions on a cancelled order get past validation and are then refused: a body that passes
  // validation still changes nothing.
  const cancelledOrder = () => fixtures.cancelledBankOrderId;
  const missingException = () => 'pex_doesnotexist0000000000';
  const missingRefund = () => 'rfd_000000000000000000000000';
  const missingHold = () => 'hold_000000000000000000000000';
  const missingEndpoint = () => `we_${'0'.repeat(24)}`;
  const pagesQuery = ['order_id', 'result'];
  return {
    'GET /healthz': { caller: 'none' },
    'GET /readyz': { caller: 'none' },
    'GET /openapi.json': { caller: 'none' },
    'GET /metrics': { caller: 'none' },
    'GET /docs': { caller: 'none', page: true },
    'GET /docs/assets/:file': { caller: 'none', parameter: () => 'swagger-ui.css' },
    'POST /webhooks/stripe': { caller: 'none', body: { id: 'evt_1', type: 'checkout.session.completed', created: 1, data: { object: {} } } },
    'GET /checkout/return': { caller: 'none', query: pagesQuery, page: true },
    'POST /webhooks/airwallex': { caller: 'none', body: { id: 'evt_1', name: 'payment_intent.succeeded', created_at: '2026-01-01T00:00:00+0000', data: { object: {} } } },
    // No such order: a payable one's image is a PNG, not an answer to judge.
    'GET /payment-qr/:image': { caller: 'none', parameter: () => 'ord_000000000000000000000000.png' },
    'GET /sandbox/checkout/:id': { caller: 'none', parameter: () => fixtures.sandboxSessionId, page: true },
    // A session that does not exist: paying the real one would credit the order behind the fuzzer's back.
    'POST /sandbox/checkout/:id/pay': { caller: 'none', parameter: () => 'cs_sandbox_000000000000000000000000', page: true, form: true },
    'POST /sandbox/checkout/:id/decline': { caller: 'none', parameter: () => 'cs_sandbox_000000000000000000000000', page: true, form: true },
    // No invoice is issued here: whatever the number, expiry and signature, the link is refused (403/410/404).
    'GET /invoices/:number/download': { caller: 'none', parameter: () => 'RF-2026-000001', query: ['expires', 'signature'] },
    'POST /admin/accounts': { caller: 'admin', body: { email: 'fuzz@example.com', currency: 'USD' } },
    'POST /admin/promo-codes': {
      caller: 'admin',
      body: { code: 'FUZZNEW', kind: 'bonus_percent', percent: '5', currency: 'USD', min_amount: '10', expires_at: '2099-01-01T00:00:00Z', max_redemptions: 10, max_redemptions_per_account: 1, description: 'fuzz' },
    },
    'GET /admin/promo-codes/:code': { caller: 'admin', parameter: () => fixtures.promoCode },
    'GET /admin/topups': { caller: 'admin', query: ['payment_method', 'status', 'reference', 'limit', 'cursor'] },
    'GET /admin/topups/:id': { caller: 'admin', parameter: stripeOrder },
    'POST /admin/topups/:id/start-review': { caller: 'admin', parameter: cancelledOrder, body: {} },
    'POST /admin/topups/:id/confirm-transfer': { caller: 'admin', parameter: cancelledOrder, body: { amount_received: '60.00', bank_reference: 'B1', corrected_credit: '60.00', reason: 'fuzz' } },
    'POST /admin/topups/:id/reject-transfer': { caller: 'admin', parameter: cancelledOrder, body: { reason: 'no transfer' } },
    'POST /admin/topups/:id/resolve-review': { caller: 'admin', parameter: stripeOrder, body: { decision: 'credit', reason: 'fuzz' } },
    'GET /admin/payment-exceptions': { caller: 'admin', query: ['status', 'limit', 'cursor'] },
    'GET /admin/payment-exceptions/:id': { caller: 'admin', parameter: missingException },
    'POST /admin/payment-exceptions/:id/resolve': { caller: 'admin', parameter: missingException, body: { decision: 'dismiss', reason: 'fuzz' } },
    // A day no run has reported: 404; a malformed one: 400; never a 5xx.
    'GET /admin/reconciliation-reports/:date': { caller: 'admin', parameter: () => '1999-01-01' },
    'GET /admin/audit-log': { caller: 'admin', query: ['operator', 'action', 'target', 'limit', 'cursor'] },
    'GET /admin/holds': { caller: 'admin', query: ['status', 'account_id', 'limit', 'cursor'] },
    'GET /v1/balance': { caller: 'customer' },
    // The customer's balance is zero: a valid consumption is refused with 402 and changes nothing.
    'POST /v1/consumptions': { caller: 'customer', body: { amount: '1.00', description: 'usage', user: 'alice', metadata: { model: 'gpt' }, currency: 'USD' } },
    'GET /v1/account-flows': { caller: 'customer', query: ['type', 'limit', 'cursor'] },
    'GET /v1/topup-options': { caller: 'customer' },
    'POST /v1/topup-quotes': { caller: 'customer', body: { amount: '20.00', payment_method: 'stripe', promo_code: fixtures.promoCode } },
    'POST /v1/topups': { caller: 'customer', body: { amount: '20.00', payment_method: 'stripe', promo_code: fixtures.promoCode, success_url: 'http://localhost/ok', cancel_url: 'http://localhost/back' } },
    'POST /v1/topups#bank_transfer': { caller: 'cny', body: { amount: '60.00', payment_method: 'bank_transfer', bank_transfer: bankTransfer } },
    'GET /v1/topups': { caller: 'customer', query: ['status', 'limit', 'cursor'] },
    'GET /v1/topups/:id': { caller: 'customer', parameter: stripeOrder },
    'POST /v1/topups/:id/resume': { caller: 'customer', parameter: stripeOrder },
    'POST /v1/topups/:id/cancel': { caller: 'cny', parameter: cancelledOrder },
    'GET /v1/topups/:id/invoice': { caller: 'customer', parameter: stripeOrder },
    'GET /v1/invoices': { caller: 'customer', query: ['limit', 'cursor'] },
    // The order is pending, the refunds and accounts do not exist: valid bodies are refused and change nothing.
    'POST /v1/topups/:id/refund-requests': { caller: 'customer', parameter: stripeOrder, body: { amount: '1.00', reason: 'fuzz' } },
    'GET /v1/refunds': { caller: 'customer', query: ['status', 'limit', 'cursor'] },
    'GET /v1/refunds/:id': { caller: 'customer', parameter: missingRefund },
    'GET /v1/refunds/:id/credit-note': { caller: 'customer', parameter: missingRefund },
    'GET /admin/refunds': { caller: 'admin', query: ['status', 'limit', 'cursor'] },
    'GET /admin/refunds/:id': { caller: 'admin', parameter: missingRefund },
    'POST /admin/refunds/:id/approve': { caller: 'admin', parameter: missingRefund, body: { reason: 'fuzz' } },
    'POST /admin/refunds/:id/reject': { caller: 'admin', parameter: missingRefund, body: { reason: 'fuzz' } },
    'POST /admin/refunds/:id/confirm-payout': { caller: 'admin', parameter: missingRefund, body: { bank_reference: 'B-1' } },
    'POST /admin/topups/:id/refunds': { caller: 'admin', parameter: cancelledOrder, body: { amount: '1.00', reason: 'fuzz', cap_to_unconsumed_credit: true } },
    'GET /admin/disputes': { caller: 'admin', query: ['status', 'limit', 'cursor'] },
    'POST /admin/accounts/:id/lift-restriction': { caller: 'admin', parameter: () => 'acct_000000000000000000000000', body: { reason: 'fuzz' } },
    // The customer's balance is zero: a valid hold is refused with 402; the other hold routes name no hold.
    'POST /v1/holds': { caller: 'customer', body: { amount: '1.00', description: 'call', user: 'alice', expires_in_seconds: 60, metadata: { model: 'gpt' } } },
    'GET /v1/holds': { caller: 'customer', query: ['status', 'limit', 'cursor'] },
    'GET /v1/holds/:id': { caller: 'customer', parameter: missingHold },
    'POST /v1/holds/:id/extend': { caller: 'customer', parameter: missingHold, body: { amount: '2.00', expires_in_seconds: 60 } },
    'POST /v1/holds/:id/capture': { caller: 'customer', parameter: missingHold, body: { amount: '1.00', description: 'done' } },
    'POST /v1/holds/:id/void': { caller: 'customer', parameter: missingHold },
    'PUT /v1/spend-limits/:user': { caller: 'customer', parameter: () => 'alice', body: { amount: '10.00', period: 'day' } },
    'GET /v1/spend-limits': { caller: 'customer' },
    'DELETE /v1/spend-limits/:user': { caller: 'customer', parameter: () => 'nobody' },
    // Saved cards and auto-recharge: the customer has no card, so enabling is refused (payment_method_required)
    // and the card routes name none; a setup opens a sandbox setup session and nothing else.
    'POST /v1/payment-methods/setup': { caller: 'customer', body: { success_url: 'http://localhost/ok', cancel_url: 'http://localhost/back' } },
    'GET /v1/payment-methods': { caller: 'customer' },
    'POST /v1/payment-methods/:id/default': { caller: 'customer', parameter: () => 'pm_sandbox_none' },
    'DELETE /v1/payment-methods/:id': { caller: 'customer', parameter: () => 'pm_sandbox_none' },
    'PUT /v1/auto-recharge': {
      caller: 'customer',
      body: { enabled: true, threshold: '10.00', amount: '50.00', monthly_limit: '200.00', cooldown_seconds: 600, maximum_per_day: 5, consent: { ip_address: '203.0.113.9', user_agent: 'fuzz' } },
    },
    'GET /v1/auto-recharge': { caller: 'customer' },
    'GET /admin/auto-recharges': { caller: 'admin', query: ['state', 'limit'] },
    'GET /sandbox/setup/:id': { caller: 'none', parameter: () => 'cs_sandbox_setup_000000000000000000000000', page: true },
    'POST /sandbox/setup/:id/save': { caller: 'none', parameter: () => 'cs_sandbox_setup_000000000000000000000000', page: true, form: true },
    // A .invalid host never resolves, and only test events go to it: nothing leaves the machine.
    'POST /admin/webhook-endpoints': { caller: 'admin', body: { url: 'https://hooks.invalid/refill', events: ['webhook_endpoint.test'], description: 'fuzz' } },
    'GET /admin/webhook-endpoints': { caller: 'admin' },
    'GET /admin/webhook-endpoints/:id': { caller: 'admin', parameter: missingEndpoint },
    'PATCH /admin/webhook-endpoints/:id': { caller: 'admin', parameter: missingEndpoint, body: { url: 'https://hooks.invalid/other', events: ['*'], enabled: false, description: 'fuzz' } },
    'DELETE /admin/webhook-endpoints/:id': { caller: 'admin', parameter: missingEndpoint },
    'POST /admin/webhook-endpoints/:id/test': { caller: 'admin', parameter: missingEndpoint },
    'GET /admin/webhook-events': { caller: 'admin', query: ['endpoint_id', 'status', 'type', 'limit', 'cursor'] },
    'POST /admin/webhook-events/:id/redeliver': { caller: 'admin', parameter: () => `evt_${'0'.repeat(32)}` },
    'PUT /v1/balance-alerts': { caller: 'customer', body: { thresholds: ['20.00', '5.00'], email: true } },
    'GET /v1/balance-alerts': { caller: 'customer' },
    // The ops console: without a session its pages lead to the sign-in page and its forms are refused (csrf_refused).
    'GET /ops/console.css': { caller: 'none' },
    'GET /ops/sign-in': { caller: 'none', page: true },
    'POST /ops/sign-in': { caller: 'none', body: { token: 'not-an-operator-token' }, page: true, form: true },
    'POST /ops/sign-out': { caller: 'none', body: { csrf_token: 'A'.repeat(43) }, page: true, form: true },
    'GET /ops': { caller: 'none', page: true },
    'GET /ops/bank-transfers': { caller: 'none', page: true },
    'GET /ops/held-orders': { caller: 'none', page: true },
    'GET /ops/payment-exceptions': { caller: 'none', page: true },
    'GET /ops/refunds': { caller: 'none', page: true },
    'GET /ops/auto-recharges': { caller: 'none', page: true },
    'POST /ops/topups/:id/start-review': { caller: 'none', parameter: cancelledOrder, body: { csrf_token: 'A'.repeat(43) }, page: true, form: true },
    'POST /ops/topups/:id/confirm-transfer': { caller: 'none', parameter: cancelledOrder, body: { csrf_token: 'A'.repeat(43), amount_received: '100.00', bank_reference: 'B-1' }, page: true, form: true },
    'POST /ops/topups/:id/reject-transfer': { caller: 'none', parameter: cancelledOrder, body: { csrf_token: 'A'.repeat(43), reason: 'fuzz' }, page: true, form: true },
    'POST /ops/topups/:id/resolve-review': { caller: 'none', parameter: stripeOrder, body: { csrf_token: 'A'.repeat(43), decision: 'credit', reason: 'fuzz' }, page: true, form: true },
    'POST /ops/payment-exceptions/:id/resolve': { caller: 'none', parameter: missingException, body: { csrf_token: 'A'.repeat(43), decision: 'dismiss', reason: 'fuzz' }, page: true, form: true },
    'POST /ops/refunds/:id/approve': { caller: 'none', parameter: missingRefund, body: { csrf_token: 'A'.repeat(43) }, page: true, form: true },
    'POST /ops/refunds/:id/reject': { caller: 'none', parameter: missingRefund, body: { csrf_token: 'A'.repeat(43), reason: 'fuzz' }, page: true, form: true },
    'POST /ops/refunds/:id/confirm-payout': { caller: 'none', parameter: missingRefund, body: { csrf_token: 'A'.repeat(43), bank_reference: 'B-1' }, page: true, form: true },
    // The billing portal: a link for an account with no such id (refused after its body is checked), and its pages.
    'POST /admin/accounts/:id/portal-sessions': {
      caller: 'admin',
      parameter: () => 'acct_000000000000000000000000',
      body: { return_url: 'http://localhost/account', locale: 'zh-CN' },
    },
    'GET /portal/sessions/:token': { caller: 'none', parameter: () => 'rps_eyJhIjoxfQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', query: ['tab', 'package_id', 'order_id'], page: true },
    'GET /portal': { caller: 'none', query: ['tab', 'package_id', 'order_id', 'lang'], page: true },
    'GET /portal/session': { caller: 'none' },
    // `/portal/assets/..` is /portal itself, whose refusal is its page.
    'GET /portal/assets/:file': { caller: 'none', parameter: () => 'portal.css', page: true },
  };
}

// ---- requests ----

interface FuzzRequest {
  path: string;
  options: RequestOptions;
}

/** A body built from a route's valid one: a field replaced, added or removed, a nested field replaced, or another value altogether. */
function bodyArbitrary(valid: Record<string, unknown>): fc.Arbitrary<{ json?: unknown; raw?: string }> {
  const fields = Object.keys(valid);
  const nested = fields.filter((field) => typeof valid[field] === 'object' && valid[field] !== null);
  const choices: fc.Arbitrary<{ json?: unknown; raw?: string }>[] = [
    fc.constant({ json: valid }),
    fc.record({ key: fc.oneof(hostileString, fc.constantFrom('__proto__', 'constructor', 'prototype')), value: hostileValue }).map(({ key, value }) => ({ json: { ...valid, [key]: value } })),
    fc.jsonValue({ maxDepth: 3 }).map((json) => ({ json })),
    rawBodies.map((raw) => ({ raw })),
  ];
  if (fields.length > 0) {
    choices.push(fc.record({ field: fc.constantFrom(...fields), value: hostileValue }).map(({ field, value }) => ({ json: { ...valid, [field]: value } })));
    choices.push(fc.subarray(fields).map((kept) => ({ json: Object.fromEntries(kept.map((field) => [field, valid[field]])) })));
  }
  for (const field of nested) {
    const inner = valid[field] as Record<string, unknown>;
    const innerFields = Object.keys(inner);
    choices.push(
      fc.record({ key: innerFields.length > 0 ? fc.oneof(fc.constantFrom(...innerFields), hostileString) : hostileString, value: hostileValue }).map(({ key, value }) => ({
        json: { ...valid, [field]: { ...inner, [key]: value } },
      })),
    );
  }
  return fc.oneof(...choices);
}

function queryArbitrary(names: string[]): fc.Arbitrary<string> {
  const value = fc.oneof(hostileString.map(percentEncoded), fc.constantFrom('', '%', '%ZZ', '20', '101', '0', 'pending', 'pending,processing', 'recharge', 'RF-7KQ4-M2XP'));
  const name = fc.oneof(fc.constantFrom(...names), hostileString.map(percentEncoded));
  return fc.array(fc.tuple(name, value), { maxLength: 4 }).map((pairs) => pairs.map(([key, part]) => `${key}=${part}`).join('&'));
}

/** A form field's text: a value String() cannot convert (an object without a prototype) is sent as its JSON. */
function formText(value: unknown): string {
  try {
    return String(value);
  } catch {
    return JSON.stringify(value) ?? '';
  }
}

function requestArbitrary(routeKey: string, spec: RouteSpec, tokens: Record<Caller, string | undefined>): fc.Arbitrary<FuzzRequest> {
  const routePath = routeKey.split(' ')[1]!.replace(/#.*$/, '');
  const parameter = spec.parameter === undefined ? fc.constant('') : fc.oneof({ weight: 3, arbitrary: fc.constant(spec.parameter()) }, { weight: 2, arbitrary: hostilePathSegment });
  const query = spec.query === undefined ? fc.constant('') : queryArbitrary(spec.query);
  type SentBody = { json?: unknown; raw?: string } | null;
  const anyBody: fc.Arbitrary<SentBody> = fc.option(fc.oneof(hostileValue.map((json): SentBody => ({ json })), rawBodies.map((raw): SentBody => ({ raw }))), { freq: 3 });
  // fetch sends no body with GET; Node would read one, but the routes never do.
  const isGet = routeKey.startsWith('GET ');
  const body: fc.Arbitrary<SentBody> = isGet ? fc.constant(null) : spec.body === undefined ? anyBody : bodyArbitrary(spec.body);
  return fc.record({ parameter, query, body, idempotencyKey, keepKey: fc.boolean() }).map(({ parameter: value, query: queryString, body: sent, idempotencyKey: key, keepKey }) => {
    const path = routePath.replace(/:[a-z]+/, value) + (queryString === '' ? '' : `?${queryString}`);
    const options: RequestOptions = {};
    const token = tokens[spec.caller];
    if (token !== undefined) options.token = token;
    if (keepKey) options.idempotencyKey = key;
    if (sent !== null && sent.raw !== undefined) options.rawBody = sent.raw;
    else if (sent !== null && sent.json !== undefined) options.body = sent.json;
    if (spec.form === true && options.body !== undefined) {
      const fields = typeof options.body === 'object' && options.body !== null ? Object.entries(options.body) : [['value', options.body]];
      options.rawBody = new URLSearchParams(fields.map(([key, part]): [string, string] => [String(key), formText(part)])).toString();
      options.headers = { 'content-type': 'application/x-www-form-urlencoded' };
      delete options.body;
    }
    return { path, options };
  });
}

// ---- what must hold ----

interface Snapshot {
  orders: string;
  ledger: string;
  accounts: string;
  promo: string;
  actions: string;
}

/** Everything a refused request must leave as it was. */
async function snapshot(): Promise<Snapshot> {
  const [row] = await pipeline.database.sql<Snapshot[]>`
    select
      (select count(*) || ':' || coalesce(sum(amount_micros), 0) || ':' || coalesce(md5(string_agg(id || status, ',' order by id)), '') from orders) as orders,
      (select count(*) from transfers) || ':' || (select count(*) from entries) || ':' ||
        (select coalesce(sum(balance_micros), 0) from ledger_accounts where kind = 'customer_balance') as ledger,
      (select count(*) from accounts) || ':' || (select count(*) from api_keys) as accounts,
      (select count(*) from promo_codes) || ':' || (select count(*) from promo_reservations) as promo,
      (select count(*) from order_actions) || ':' || (select count(*) from payment_exceptions) as actions`;
  return row!;
}

function assertWellFormedRefusal(route: string, request: FuzzRequest, response: TestResponse, page: boolean): void {
  const what = `${route} ${request.path} -> ${response.status} ${response.text.slice(0, 200)}`;
  assert.ok(response.status < 500, what);
  assert.ok(response.headers.get('x-request-id'), `no X-Request-Id: ${what}`);
  if (response.status < 400) return;
  if (page && /^text\/html/.test(response.headers.get('content-type') ?? '')) return;
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/, what);
  const error = response.body?.error as { code?: string; message?: unknown; field?: unknown } | undefined;
  assert.ok(error !== undefined && typeof error.code === 'string' && error.code in errorCodes, what);
  assert.equal(errorCodes[error.code as keyof typeof errorCodes].status, response.status, what);
  assert.equal(typeof error.message, 'string', what);
  assert.ok(error.field === undefined || typeof error.field === 'string', what);
  assert.deepEqual(Object.keys(response.body), ['error'], what);
}

test('every route, fuzzed: no 5xx, refusals in the error shape, and a refusal changes nothing', async () => {
  const { api } = pipeline;
  const customer = await createTestAccount(api, 'USD');
  const cny = await createTestAccount(api, 'CNY');
  const promo = await api.request('POST', '/admin/promo-codes', { token: testAdminToken, body: { code: 'FUZZCODE', kind: 'bonus_percent', percent: '5', currency: 'USD' } });
  assert.equal(promo.status, 201, promo.text);
  const stripeOrder = await api.request('POST', '/v1/topups', { token: customer.apiKey, idempotencyKey: 'fuzz-stripe', body: { package_id: 'usd_20', payment_method: 'stripe' } });
  assert.equal(stripeOrder.status, 201, stripeOrder.text);
  const bankOrder = await api.request('POST', '/v1/topups', {
    token: cny.apiKey,
    idempotencyKey: 'fuzz-bank',
    body: { amount: '60.00', payment_method: 'bank_transfer', bank_transfer: { remitter_name: 'Li Lei', bank_name: 'ICBC', agreement_accepted: true } },
  });
  assert.equal(bankOrder.status, 201, bankOrder.text);
  const cancelled = await api.request('POST', `/v1/topups/${bankOrder.body.id}/cancel`, { token: cny.apiKey });
  assert.equal(cancelled.status, 200, cancelled.text);
  const fixtures: Fixtures = {
    stripeOrderId: stripeOrder.body.id,
    cancelledBankOrderId: bankOrder.body.id,
    sandboxSessionId: /cs_sandbox_[0-9a-z]{24}/.exec(String(stripeOrder.body.checkout_url))?.[0] ?? 'cs_sandbox_missing',
    promoCode: 'FUZZCODE',
  };
  const specs = routeSpecs(fixtures);

  // Built without I/O only to read its router: every route the API serves must be fuzzed here.
  const app = createApp({ ...({} as Parameters<typeof createApp>[0]), config: api.config, sql: pipeline.database.sql, logger: createLogger('routes', 'silent'), pricing: loadPricing() });
  const specified = new Set(Object.keys(specs).map((key) => key.replace(/#.*$/, '')));
  assert.deepEqual([...routesOf(app)].sort(), [...specified].sort(), 'a route of the router has no entry in this fuzz table, or an entry names no route');

  const tokens: Record<Caller, string | undefined> = { customer: customer.apiKey, cny: cny.apiKey, admin: testAdminToken, none: undefined };
  let before = await snapshot();
  let sent = 0;
  const started = Date.now();
  for (const [route, spec] of Object.entries(specs)) {
    const method = route.split(' ')[0]!;
    await fc.assert(
      fc.asyncProperty(requestArbitrary(route, spec, tokens), async (request) => {
        const response = await api.request(method, request.path, request.options);
        sent += 1;
        assertWellFormedRefusal(route, request, response, spec.page === true);
        const afterwards = await snapshot();
        if (response.status >= 400) assert.deepEqual(afterwards, before, `${route} ${request.path} -> ${response.status} changed the database`);
        before = afterwards;
      }),
      { numRuns: runsPerRoute },
    );
  }
  console.log(`fuzzed ${Object.keys(specs).length} routes with ${sent} requests in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
  assert.equal((await api.request('GET', '/healthz')).status, 200);
});
