// The sandbox provider under attack (issue 10, finding 1 and the sandbox part of finding 9): its events
// are signed with a secret of this installation, not a constant anyone can read in the code, and its
// Pay and Decline buttons cannot be pressed from another site or inside a frame.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../config/config.ts';
import { startMailInbox } from '../dev/mail-inbox.ts';
import { freePort } from '../dev/ports.ts';
import { dataDirectory, repositoryRoot } from '../dev/tools.ts';
import Stripe from 'stripe';
import { generateWebhookSecret, installationSecret } from '../scripts/installation-secrets.ts';
import { getSandboxSession } from '../db/sandbox/sandbox-sessions.ts';
import { getOrderRow } from '../db/orders/get-order.ts';
import { randomToken } from '../ids/ids.ts';
import { testAdminToken } from './support/api.ts';
import { createTestDatabase } from './support/database.ts';
import { createTestAccount } from './support/api.ts';
import { eventually } from './support/eventually.ts';
import { testTemporalAddress } from './support/environment.ts';
import { checkoutEventFor, sendWebhook, startTestPipeline, waitForOrder, type OrderJson, type TestPipeline } from './support/pipeline.ts';
import { openSandboxPage, submitSandboxForm } from './support/sandbox-page.ts';

let pipeline: TestPipeline;

before(async () => {
  pipeline = await startTestPipeline({ sandbox: true });
});
after(async () => {
  await pipeline.close();
});

/** The secret every installation shared before: it was a constant in config/config.ts. */
const formerSandboxSecret = 'whsec_refill_sandbox_not_a_secret';

async function createOrder(apiKey: string): Promise<OrderJson> {
  const response = await pipeline.api.request('POST', '/v1/topups', {
    token: apiKey,
    idempotencyKey: randomToken(12),
    body: { package_id: 'usd_100', payment_method: 'stripe' },
  });
  assert.equal(response.status, 201, response.text);
  return response.body as OrderJson;
}

async function stripeEventsOf(orderId: string): Promise<number> {
  const [row] = await pipeline.database.sql<{ count: number }[]>`select count(*)::int as count from stripe_events where order_id = ${orderId}`;
  return row!.count;
}

describe('finding 1: sandbox payments signed with a secret anyone can read', () => {
  test('an event signed with the former constant secret is refused, and pays nothing (before: it credited the order)', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createOrder(account.apiKey);
    const row = await getOrderRow(pipeline.database.sql, order.id, null);
    const forged = checkoutEventFor(order, 'checkout.session.completed', { sessionId: row!.checkout_session_id! });
    const response = await sendWebhook(pipeline.api, forged, { secret: formerSandboxSecret });
    assert.equal(response.status, 400, response.text);
    assert.equal(response.body.error.code, 'invalid_signature');
    assert.equal(await stripeEventsOf(order.id), 0);
    assert.equal((await getOrderRow(pipeline.database.sql, order.id, null))?.status, 'pending');
  });

  test('without STRIPE_WEBHOOK_SECRET the sandbox signs with a random secret, never the constant', () => {
    const environment = { DATABASE_URL: 'postgres://localhost/refill', ADMIN_TOKEN: testAdminToken };
    const first = loadConfig(environment).stripe.webhookSecret;
    const second = loadConfig(environment).stripe.webhookSecret;
    assert.notEqual(first, formerSandboxSecret);
    assert.match(first, /^whsec_[0-9a-f]{64}$/);
    assert.notEqual(first, second, 'each process draws its own');
    assert.notEqual(pipeline.api.config.stripe.webhookSecret, formerSandboxSecret);
    const configured = loadConfig({ ...environment, STRIPE_WEBHOOK_SECRET: 'whsec_installation' }).stripe;
    assert.equal(configured.mode, 'sandbox');
    assert.equal(configured.webhookSecret, 'whsec_installation');
  });

  test("npm start's installation secret is generated once, kept readable by its owner only, and differs per installation", async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'refill-secrets-'));
    try {
      const file = path.join(directory, 'webhook-secret');
      const concurrent = await Promise.all(Array.from({ length: 5 }, () => installationSecret(file, generateWebhookSecret)));
      assert.equal(new Set(concurrent).size, 1, 'starts racing each other agree on one secret');
      const [secret] = concurrent;
      assert.match(secret!, /^whsec_[0-9a-f]{64}$/);
      assert.equal((await readFile(file, 'utf8')).trim(), secret);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.equal(await installationSecret(file, generateWebhookSecret), secret, 'a restart keeps it');
      const other = await installationSecret(path.join(directory, 'other-installation'), generateWebhookSecret);
      assert.notEqual(other, secret);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

test('npm start passes the installation secret to the API it starts, which refuses the former constant', async () => {
  const database = await createTestDatabase(2);
  const inbox = await startMailInbox({ smtpPort: 0, webPort: null, storageDirectory: null });
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: repositoryRoot,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: testTemporalAddress(),
      TEMPORAL_TASK_QUEUE: `refill-start-${randomToken(8)}`,
      SMTP_URL: inbox.smtpUrl,
      PORT: String(port),
      ADMIN_TOKEN: 'start-command-admin-token',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await eventually(() => (output.includes('Refill is running') ? true : undefined), {
      description: 'npm start to print "Refill is running"',
      timeoutMilliseconds: 90_000,
      intervalMilliseconds: 200,
    });
    assert.match(output, /webhook secret kept in \.data\/webhook-secret/);
    const secret = (await readFile(path.join(dataDirectory, 'webhook-secret'), 'utf8')).trim();
    assert.match(secret, /^whsec_[0-9a-f]{64}$/);
    const payload = JSON.stringify({ id: `evt_${randomToken()}`, object: 'event', type: 'customer.created', created: Math.floor(Date.now() / 1000), data: { object: {} } });
    const post = (signingSecret: string) =>
      fetch(`http://127.0.0.1:${port}/webhooks/stripe`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': new Stripe('sk_test_signer').webhooks.generateTestHeaderString({ payload, secret: signingSecret }),
        },
        body: payload,
      });
    const forged = await post(formerSandboxSecret);
    assert.equal(forged.status, 400);
    assert.equal(((await forged.json()) as { error: { code: string } }).error.code, 'invalid_signature');
    const signed = await post(secret);
    assert.equal(signed.status, 200, await signed.clone().text());
    assert.equal(((await signed.json()) as { outcome: string }).outcome, 'ignored_type');
  } finally {
    child.kill('SIGINT');
    assert.equal(await exited, 0, output);
    await inbox.stop();
    await database.close();
  }
});

describe('finding 9 (sandbox): CSRF and framing of the Pay and Decline buttons', () => {
  test('the pages cannot be framed or cached, and set an HttpOnly SameSite cookie', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createOrder(account.apiKey);
    const page = await openSandboxPage(String(order.checkout_url));
    assert.equal(page.status, 200);
    assert.match(String(page.headers.get('content-security-policy')), /frame-ancestors 'none'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(page.headers.get('cache-control'), 'no-store');
    const setCookie = page.headers.getSetCookie().join('\n');
    assert.match(setCookie, /refill_sandbox_csrf=[A-Za-z0-9_-]{43}/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Lax/);
    assert.ok(page.csrfToken, 'the forms carry a token');
    // A browser that has the cookie keeps it, and so its token.
    const again = await openSandboxPage(String(order.checkout_url), page.cookie);
    assert.deepEqual(again.headers.getSetCookie(), []);
    assert.equal(again.csrfToken, page.csrfToken);
  });

  test('forged posts are 403 forbidden and pay nothing (before: a bare POST from any site paid or declined the order)', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const order = await createOrder(account.apiKey);
    const checkoutUrl = String(order.checkout_url);
    const victim = await openSandboxPage(checkoutUrl);
    const attacker = await openSandboxPage(checkoutUrl);
    const otherOrder = await createOrder(account.apiKey);
    const otherSession = await openSandboxPage(String(otherOrder.checkout_url), victim.cookie);

    const forgeries: [label: string, form: { cookie: string | null; csrfToken: string | null }][] = [
      ['no cookie, no token', { cookie: null, csrfToken: null }],
      ["the victim's cookie, no token (a cross-site form, were the cookie sent)", { cookie: victim.cookie, csrfToken: null }],
      ["the victim's token without its cookie (SameSite keeps it from another site's form)", { cookie: null, csrfToken: victim.csrfToken }],
      ["the attacker's own token with the victim's cookie", { cookie: victim.cookie, csrfToken: attacker.csrfToken }],
      ['the token of another session', { cookie: victim.cookie, csrfToken: otherSession.csrfToken }],
      ['a made-up token', { cookie: victim.cookie, csrfToken: 'A'.repeat(43) }],
    ];
    for (const [label, form] of forgeries) {
      for (const action of ['pay', 'decline'] as const) {
        const response = await submitSandboxForm(checkoutUrl, action, form);
        assert.equal(response.status, 403, `${action} with ${label}`);
        const body = (await response.json()) as { error: { code: string } };
        assert.equal(body.error.code, 'forbidden', `${action} with ${label}`);
      }
    }
    const row = await getOrderRow(pipeline.database.sql, order.id, null);
    assert.equal(row?.status, 'pending');
    assert.equal((await getSandboxSession(pipeline.database.sql, row!.checkout_session_id!))?.status, 'open');
    assert.equal(await stripeEventsOf(order.id), 0);

    // The real button, in the victim's browser, still works end to end.
    const paid = await submitSandboxForm(checkoutUrl, 'pay', victim);
    assert.equal(paid.status, 303);
    await waitForOrder(pipeline.api, account.apiKey, order.id, ['succeeded']);
    const balance = await pipeline.api.request('GET', '/v1/balance', { token: account.apiKey });
    assert.equal(balance.body.balance, '105.000000');
  });
});
