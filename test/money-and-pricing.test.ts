// Pure code: money conversion, quotes, promo codes, configuration. No servers needed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../config/config.ts';
import { loadPricing } from '../config/pricing.ts';
import { formatMicros, formatMicrosForPeople, microsFromDecimal, microsToMinorUnits, moneyForPeople, parsePositiveAmount } from '../domain/money.ts';
import { computeQuote, parsePricing, PricingConfigError, type QuoteRequest } from '../domain/pricing.ts';
import type { PromoCode } from '../domain/promo-codes.ts';
import { orderIdFor } from '../ids/ids.ts';

describe('money', () => {
  test('decimal strings convert to micro-units exactly and back', () => {
    assert.deepEqual(parsePositiveAmount('12.5'), { ok: true, micros: 12_500_000n });
    assert.deepEqual(parsePositiveAmount('0.000001'), { ok: true, micros: 1n });
    assert.equal(formatMicros(12_500_000n), '12.500000');
    assert.equal(formatMicros(-1n), '-0.000001');
    assert.equal(microsFromDecimal('-3.250000'), -3_250_000n);
    // 0.1 + 0.2 is exact here, unlike in floating point.
    assert.equal(formatMicros(microsFromDecimal('0.100000') + microsFromDecimal('0.200000')), '0.300000');
  });

  test('bad amounts are refused with the reason', () => {
    assert.deepEqual(parsePositiveAmount(12.5), { ok: false, reason: 'not_a_string' });
    assert.deepEqual(parsePositiveAmount('-1'), { ok: false, reason: 'malformed' });
    assert.deepEqual(parsePositiveAmount('1e3'), { ok: false, reason: 'malformed' });
    assert.deepEqual(parsePositiveAmount('0.00'), { ok: false, reason: 'not_positive' });
    assert.deepEqual(parsePositiveAmount('1.0000001'), { ok: false, reason: 'too_precise' });
    assert.equal((parsePositiveAmount('1000000001') as { reason: string }).reason, 'too_large');
  });

  test('money for people has the currency\'s two decimals, grouped, sub-cent digits dropped towards zero', () => {
    assert.equal(formatMicrosForPeople(1_500_000_000n, 'USD'), '1,500.00');
    assert.equal(formatMicrosForPeople(94_987_500n, 'USD'), '94.98');
    assert.equal(formatMicrosForPeople(-12_500n, 'USD'), '-0.01');
    assert.equal(formatMicrosForPeople(-2_500n, 'USD'), '0.00');
    assert.equal(moneyForPeople(5_000_000n, 'CNY'), '5.00 CNY');
  });

  test('Stripe minor units: whole cents only', () => {
    assert.equal(microsToMinorUnits(20_000_000n, 'USD'), 2000n);
    assert.throws(() => microsToMinorUnits(20_005_000n, 'USD'), RangeError);
  });
});

describe('quotes', () => {
  const pricing = loadPricing();
  const now = new Date('2026-06-01T00:00:00Z');
  const base: QuoteRequest = { currency: 'USD', paymentMethod: 'stripe', amountMicros: null, packageId: null, promoCode: null };
  const promo = (overrides: Partial<PromoCode>): PromoCode => ({
    code: 'TEST',
    kind: 'discount_percent',
    value: 1000n,
    currency: 'USD',
    minimumAmountMicros: 0n,
    expiresAt: null,
    maximumRedemptions: null,
    maximumRedemptionsPerAccount: null,
    ...overrides,
  });

  test('pay amount is amount minus discount, credit is amount plus bonus', () => {
    const result = computeQuote(pricing, { ...base, packageId: 'usd_500', promoCode: promo({ value: 1250n }) }, now);
    assert.ok(result.ok);
    assert.equal(result.quote.discountMicros, 62_500_000n);
    assert.equal(result.quote.payAmountMicros, 437_500_000n);
    assert.equal(result.quote.bonusMicros, 40_000_000n);
    assert.equal(result.quote.creditMicros, 540_000_000n);
  });

  test('a percent discount is rounded down to whole cents so the payment stays chargeable', () => {
    const result = computeQuote(pricing, { ...base, amountMicros: 33_330_000n, promoCode: promo({ value: 333n }) }, now);
    assert.ok(result.ok);
    // 3.33% of 33.33 is 1.109889; the discount is 1.10.
    assert.equal(result.quote.discountMicros, 1_100_000n);
    assert.equal(result.quote.payAmountMicros % 10_000n, 0n);
  });

  test('bonus promo codes add to the tier bonus; an expired code is refused', () => {
    const bonus = computeQuote(pricing, { ...base, amountMicros: 100_000_000n, promoCode: promo({ kind: 'bonus_fixed', value: 3_000_000n }) }, now);
    assert.ok(bonus.ok);
    assert.equal(bonus.quote.bonusMicros, 8_000_000n);
    const expired = computeQuote(pricing, { ...base, amountMicros: 100_000_000n, promoCode: promo({ expiresAt: new Date('2026-05-31T23:59:59Z') }) }, now);
    assert.deepEqual(expired.ok ? null : expired.refusal.code, 'promo_code_expired');
  });

  test('a discount as large as the amount does not apply', () => {
    const result = computeQuote(pricing, { ...base, amountMicros: 10_000_000n, promoCode: promo({ kind: 'discount_fixed', value: 10_000_000n }) }, now);
    assert.equal(result.ok ? null : result.refusal.code, 'promo_code_not_applicable');
  });

  test('a discount may not take the payment below the method\'s minimum: refused with its own code and people\'s decimals', () => {
    // 10% off the 5.00 USD minimum would charge 4.50: refused, where the same code on 5.60 still applies (5.04 paid).
    const below = computeQuote(pricing, { ...base, amountMicros: 5_000_000n, promoCode: promo({ code: 'SAVE10' }) }, now);
    assert.equal(below.ok, false);
    assert.equal(below.ok ? null : below.refusal.code, 'pay_amount_below_minimum');
    assert.equal(
      below.ok ? null : below.refusal.message,
      'With promo code SAVE10 the payment would be 4.50 USD, below the minimum for stripe of 5.00 USD; choose a larger amount or remove the code.',
    );
    const above = computeQuote(pricing, { ...base, amountMicros: 5_600_000n, promoCode: promo({}) }, now);
    assert.ok(above.ok);
    assert.equal(above.quote.payAmountMicros, 5_040_000n);
    // A bonus code pays in full, so it never meets the rule.
    assert.ok(computeQuote(pricing, { ...base, amountMicros: 5_000_000n, promoCode: promo({ kind: 'bonus_percent' }) }, now).ok);
    const tooSmall = computeQuote(pricing, { ...base, amountMicros: 1_000_000n }, now);
    assert.equal(tooSmall.ok ? null : tooSmall.refusal.message, 'The minimum for stripe is 5.00 USD.');
  });

  test('the pricing file is validated', () => {
    assert.throws(() => parsePricing({ USD: {} }), PricingConfigError);
    const document = JSON.parse(JSON.stringify({ USD: { packages: [], bonus_tiers: [], payment_methods: { stripe: { min: '10.00', max: '5.00' } } }, CNY: { packages: [], bonus_tiers: [], payment_methods: {} } }));
    assert.throws(() => parsePricing(document), /min must not exceed max/);
  });
});

describe('configuration', () => {
  const valid = { DATABASE_URL: 'postgres://localhost/refill', ADMIN_TOKEN: 'a-long-enough-admin-token' };

  test('defaults apply where variables are unset; an empty variable counts as unset', () => {
    const config = loadConfig({ ...valid, PORT: '' });
    assert.equal(config.api.port, 3000);
    assert.equal(config.temporal.address, 'localhost:7233');
    assert.equal(config.stripe.mode, 'sandbox');
    assert.equal(config.orders.expiryMinutes, 30);
  });

  test('each bad variable fails with one line naming it', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ DATABASE_URL: '' }, /^Invalid configuration: DATABASE_URL must be set$/],
      [{ DATABASE_URL: 'mysql://x' }, /^Invalid configuration: DATABASE_URL /],
      [{ ADMIN_TOKEN: 'short' }, /^Invalid configuration: ADMIN_TOKEN /],
      [{ TEMPORAL_ADDRESS: 'no-port' }, /^Invalid configuration: TEMPORAL_ADDRESS /],
      [{ ORDER_EXPIRY_MINUTES: '10' }, /^Invalid configuration: ORDER_EXPIRY_MINUTES /],
      [{ STRIPE_SECRET_KEY: 'pk_test_1', STRIPE_WEBHOOK_SECRET: 'whsec_1' }, /^Invalid configuration: STRIPE_SECRET_KEY /],
      [{ SMTP_URL: 'http://mail' }, /^Invalid configuration: SMTP_URL /],
    ];
    for (const [overrides, message] of cases) {
      assert.throws(() => loadConfig({ ...valid, ...overrides }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, message);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
    }
  });
});

test('order ids follow from the account and the Idempotency-Key', () => {
  assert.equal(orderIdFor('acct_a', 'key-1'), orderIdFor('acct_a', 'key-1'));
  assert.notEqual(orderIdFor('acct_a', 'key-1'), orderIdFor('acct_b', 'key-1'));
  assert.match(orderIdFor('acct_a', 'key-1'), /^ord_[0-9a-v]{24}$/);
});
