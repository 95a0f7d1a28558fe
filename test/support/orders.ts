// Order fixtures, the one module for every test that needs an order: top-ups created through the API
// and the events that pay them, what the database holds for an order, inputs for a test that starts an
// order's workflow itself, and database steps of an order's workflow done by a test directly, as the
// workflow's activities would do them, to set up what a crash between steps leaves behind.
import assert from 'node:assert/strict';
import type { Sql } from '../../db/client.ts';
import { creditOrder, type CreditOrderResult } from '../../db/orders/credit-order.ts';
import { getOrderRow } from '../../db/orders/get-order.ts';
import { insertOrder } from '../../db/orders/insert-order.ts';
import { snapshotFromRow } from '../../db/orders/order-row.ts';
import { newOrderRow } from '../../activities/orders.ts';
import { termsInMicros, type OrderSnapshot, type OrderTerms, type StripeCheckoutOrderInput } from '../../domain/orders.ts';
import { orderIdFor, randomToken } from '../../ids/ids.ts';
import { succeededOrder } from '../../workflows/order-machine.ts';
import { uniqueKey, type TestApi, type TestResponse } from './api.ts';
import { checkoutEventFor, type OrderJson } from './pipeline.ts';

/** The top-up most tests create: 20.00 USD by card, no package, no promo code. */
export const defaultTopUp: Readonly<Record<string, unknown>> = { amount: '20.00', payment_method: 'stripe' };

/** POST /v1/topups, under an Idempotency-Key of its own unless one is given; the response as it came. */
export function createTopUp(api: TestApi, apiKey: string, body: Record<string, unknown>, idempotencyKey = uniqueKey('topup')): Promise<TestResponse> {
  return api.request('POST', '/v1/topups', { token: apiKey, idempotencyKey, body });
}

/** Creates a top-up that must be accepted (201) and returns the order. */
export async function createPendingOrder(api: TestApi, apiKey: string, body: Record<string, unknown> = defaultTopUp): Promise<OrderJson> {
  const response = await createTopUp(api, apiKey, body);
  assert.equal(response.status, 201, response.text);
  return response.body as OrderJson;
}

/** The checkout session id the order's workflow recorded (stripe-mock gives every session the same id). */
export async function sessionIdOf(sql: Sql, orderId: string): Promise<string> {
  const row = await getOrderRow(sql, orderId, null);
  assert.ok(row?.checkout_session_id, 'the order has a checkout session');
  return row.checkout_session_id;
}

/** A checkout.session.completed event for the order's recorded session, as Stripe sends it once paid. */
export async function paidEvent(sql: Sql, order: OrderJson, overrides: Parameters<typeof checkoutEventFor>[2] = {}) {
  return checkoutEventFor(order, 'checkout.session.completed', { sessionId: await sessionIdOf(sql, order.id), ...overrides });
}

/** How many transfers the ledger holds for the order: its recharge once it is credited, and never more. */
export async function rechargeCount(sql: Sql, orderId: string): Promise<number> {
  const [row] = await sql<{ count: number }[]>`
    select count(*)::int as count from transfers where order_id = ${orderId}`;
  return row!.count;
}

/** The order as its row shows it, paid now under the payment id checkoutEventFor gives it: what the credit step receives. */
export async function paidSnapshotOf(sql: Sql, orderId: string): Promise<OrderSnapshot> {
  const row = await getOrderRow(sql, orderId, null);
  assert.ok(row !== null, `order ${orderId} has a row`);
  return { ...snapshotFromRow(row), paidAt: new Date().toISOString(), providerPaymentId: `pi_test_${orderId.slice(4)}` };
}

/** What the API locks for { amount: '20.00', payment_method: 'stripe' } on a USD account. */
const twentyDollarTerms: OrderTerms = { currency: 'USD', paymentMethod: 'stripe', packageId: null, amount: '20.000000', discount: '0.000000', payAmount: '20.000000', bonus: '0.000000', credit: '20.000000', promoCode: null };
/** How long the API gives a checkout order to be paid. */
const checkoutLifetimeMilliseconds = 30 * 60_000;

export interface StripeOrderInputOptions {
  customerEmail?: string;
  /** Changes to the terms of a 20.00 USD top-up without bonus. */
  terms?: Partial<OrderTerms>;
  /** From now; the API's 30 minutes unless given. */
  expiresInMilliseconds?: number;
}

/** A Stripe Checkout order's input as the API would build it, for a test that starts the workflow or inserts the row itself. */
export function stripeOrderInput(accountId: string, options: StripeOrderInputOptions = {}): StripeCheckoutOrderInput {
  const idempotencyKey = randomToken(12);
  const now = new Date();
  return {
    orderId: orderIdFor(accountId, idempotencyKey),
    accountId,
    customerEmail: options.customerEmail ?? 'customer@example.com',
    requestHash: 'hash',
    idempotencyKey,
    terms: { ...twentyDollarTerms, ...options.terms },
    successUrl: 'http://refill.test/success',
    cancelUrl: 'http://refill.test/cancel',
    expiresAt: new Date(now.getTime() + (options.expiresInMilliseconds ?? checkoutLifetimeMilliseconds)).toISOString(),
    createdAt: now.toISOString(),
  };
}

/** Inserts a Stripe order's row as its workflow's first activity does. */
export async function insertOrderDirectly(sql: Sql, input: StripeCheckoutOrderInput): Promise<void> {
  await insertOrder(sql, { ...newOrderRow(input), successUrl: input.successUrl, cancelUrl: input.cancelUrl });
}

/** Credits the order's locked quote and saves it succeeded, as the credit activity does. */
export async function creditOrderDirectly(sql: Sql, order: OrderSnapshot): Promise<CreditOrderResult> {
  const terms = termsInMicros(order.terms);
  return creditOrder(sql, { succeeded: succeededOrder(order), payAmountMicros: terms.payAmountMicros, creditMicros: terms.creditMicros, metadata: null });
}
