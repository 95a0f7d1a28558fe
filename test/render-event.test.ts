// The body an endpoint receives for an event whose object a trigger built (not a table row).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderEvent } from '../worker/webhooks/render-event.ts';

test('a balance.low event shows its threshold and available balance as decimal strings, without _micros', () => {
  const rendered = renderEvent(
    {
      id: 'evt_balance_low',
      type: 'balance.low',
      accountId: 'acct_1',
      // As jsonb_build_object stores bigints: JSON numbers.
      object: { account_id: 'acct_1', currency: 'USD', threshold_micros: 20_000_000, available_micros: 19_987_500 },
      createdAt: new Date('2026-12-01T12:00:00Z'),
    },
    'http://localhost:3000',
  );
  assert.deepEqual(rendered.data, { account_id: 'acct_1', currency: 'USD', threshold: '20.000000', available: '19.987500' });
  assert.equal(rendered.created, Math.floor(Date.parse('2026-12-01T12:00:00Z') / 1000));
});

test('a row column of micro-units (a string) renders the same way, and a missing amount stays null', () => {
  const rendered = renderEvent(
    { id: 'evt_x', type: 'auto_recharge.disabled', accountId: 'acct_1', object: { amount_micros: '50000000', limit_micros: null }, createdAt: new Date() },
    'http://localhost:3000',
  );
  assert.equal(rendered.data.amount, '50.000000');
  assert.equal(rendered.data.limit, null);
});
