// REFILL_ENV=production (issue 10, finding 1): the sandbox provider does not run, and the settings that
// are only safe on a developer's machine stop the process with one line naming the variable. Before,
// nothing told a production deployment from a local one: it ran the sandbox with a constant secret.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { sandboxRoutes } from '../api/routes/sandbox.ts';
import { ConfigError, loadConfig, type Config } from '../config/config.ts';
import { weakSecretReason } from '../config/production-rules.ts';
import { repositoryRoot } from '../dev/tools.ts';
import { createPaymentProvider } from '../worker/payment-provider.ts';
import { nodeArgumentsFor } from './support/environment.ts';

const strongToken = randomBytes(24).toString('hex');
const production = {
  REFILL_ENV: 'production',
  DATABASE_URL: 'postgres://refill@db.internal/refill',
  ADMIN_TOKEN: strongToken,
  STRIPE_SECRET_KEY: 'sk_live_abc123',
  STRIPE_WEBHOOK_SECRET: 'whsec_live123',
  PUBLIC_BASE_URL: 'https://refill.example.com',
};

function configErrorOf(environment: Record<string, string | undefined>): string {
  try {
    loadConfig(environment);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail('the configuration was accepted');
}

describe('configuration', () => {
  test('a complete production environment is accepted, with Stripe as the provider', () => {
    const config = loadConfig(production);
    assert.equal(config.environment, 'production');
    assert.equal(config.stripe.mode, 'stripe');
    assert.equal(config.api.publicBaseUrl, 'https://refill.example.com');
  });

  test('REFILL_ENV defaults to development, which runs the sandbox; an unknown value is refused', () => {
    const development = loadConfig({ DATABASE_URL: production.DATABASE_URL, ADMIN_TOKEN: 'a-local-token-of-16+' });
    assert.equal(development.environment, 'development');
    assert.equal(development.stripe.mode, 'sandbox');
    assert.equal(loadConfig({ ...production, REFILL_ENV: 'test' }).environment, 'test');
    assert.equal(
      configErrorOf({ ...production, REFILL_ENV: 'staging' }),
      'Invalid configuration: REFILL_ENV must be one of development, test, production',
    );
  });

  test('production without Stripe keys, with a weak admin token or without an https base URL fails with one line naming the variable', () => {
    const cases: [change: Record<string, string | undefined>, line: RegExp][] = [
      [{ STRIPE_SECRET_KEY: undefined, STRIPE_WEBHOOK_SECRET: undefined }, /^Invalid configuration: STRIPE_SECRET_KEY must be set when REFILL_ENV is production: the sandbox payment provider does not run in production$/],
      [{ STRIPE_SECRET_KEY: undefined }, /^Invalid configuration: STRIPE_SECRET_KEY must be set when REFILL_ENV is production/],
      [{ STRIPE_WEBHOOK_SECRET: undefined }, /^Invalid configuration: STRIPE_WEBHOOK_SECRET must be set/],
      [{ ADMIN_TOKEN: 'test-admin-token-0123456789' }, /^Invalid configuration: ADMIN_TOKEN is shorter than 32 characters; REFILL_ENV production needs a generated token/],
      [{ ADMIN_TOKEN: 'abababababababababababababababababab' }, /^Invalid configuration: ADMIN_TOKEN has too few distinct characters/],
      [{ ADMIN_TOKEN: 'changeme-changeme-changeme-changeme-42' }, /^Invalid configuration: ADMIN_TOKEN has too few distinct characters|^Invalid configuration: ADMIN_TOKEN contains the placeholder word "change"/],
      [{ ADMIN_TOKEN: 'our-production-secret-for-refill-2026' }, /^Invalid configuration: ADMIN_TOKEN contains the placeholder word "secret"/],
      [{ ADMIN_TOKEN: 'k3Qz0123456789abcdefghijklmnopqrstuv' }, /^Invalid configuration: ADMIN_TOKEN contains a run of consecutive characters/],
      [{ PUBLIC_BASE_URL: undefined }, /^Invalid configuration: PUBLIC_BASE_URL must be an https:\/\/ URL when REFILL_ENV is production/],
      [{ PUBLIC_BASE_URL: 'http://refill.example.com' }, /^Invalid configuration: PUBLIC_BASE_URL must be an https:\/\/ URL/],
    ];
    for (const [change, line] of cases) {
      const message = configErrorOf({ ...production, ...change });
      assert.match(message, line, JSON.stringify(change));
      assert.doesNotMatch(message, /\n/);
    }
    // Outside production the same settings are a developer's machine, and fine.
    const local = loadConfig({ ...production, REFILL_ENV: 'development', STRIPE_SECRET_KEY: undefined, STRIPE_WEBHOOK_SECRET: undefined, ADMIN_TOKEN: 'test-admin-token-0123456789', PUBLIC_BASE_URL: undefined });
    assert.equal(local.stripe.mode, 'sandbox');
  });

  test('generated tokens pass the admin token check', () => {
    for (let draw = 0; draw < 200; draw += 1) {
      assert.equal(weakSecretReason(randomBytes(16).toString('hex')), null);
      assert.equal(weakSecretReason(randomBytes(24).toString('base64url')), null);
      assert.equal(weakSecretReason(`adm_${randomBytes(24).toString('hex')}`), null);
    }
  });

  test('a production Config in sandbox mode, however it was built, gets neither a sandbox provider nor sandbox pages', () => {
    const config: Config = { ...loadConfig(production), stripe: { mode: 'sandbox', secretKey: undefined, webhookSecret: 'whsec_x', apiBase: undefined } };
    assert.throws(() => createPaymentProvider(config, null as never), /does not run when REFILL_ENV is production/);
    assert.throws(() => sandboxRoutes({ config } as never), /does not run when REFILL_ENV is production/);
  });
});

/** Runs a process entry point with only `environment` (and PATH/HOME); resolves with its exit code and output. */
function runEntryPoint(entry: string, environment: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, nodeArgumentsFor(entry), {
    cwd: repositoryRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...environment },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

describe('processes', () => {
  for (const entry of ['api/main.ts', 'worker/main.ts']) {
    test(`${entry} in production without Stripe keys exits with code 2 and the one line, before connecting anywhere`, async () => {
      const { STRIPE_SECRET_KEY: _key, STRIPE_WEBHOOK_SECRET: _secret, ...withoutStripe } = production;
      // The database host does not exist: reaching it would fail differently, and later.
      const { code, stderr } = await runEntryPoint(entry, { ...withoutStripe, DATABASE_URL: 'postgres://refill@127.0.0.1:1/refill' });
      assert.equal(code, 2, stderr);
      assert.equal(
        stderr.trim(),
        'Invalid configuration: STRIPE_SECRET_KEY must be set when REFILL_ENV is production: the sandbox payment provider does not run in production',
      );
    });
  }
});
