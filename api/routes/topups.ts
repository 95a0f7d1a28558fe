// Top-ups: options, quotes, and orders (create, list, read, resume, cancel).
import { createHash } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { getOrderRow } from '../../db/orders/get-order.ts';
import { listOrders } from '../../db/orders/list-orders.ts';
import { snapshotFromRow } from '../../db/orders/order-row.ts';
import { ApiError } from '../../domain/errors.ts';
import { orderIdFor } from '../../ids/ids.ts';
import { formatMicros } from '../../domain/money.ts';
import { orderStatuses, type OrderSnapshot, type TopUpOrderInput } from '../../domain/orders.ts';
import { paymentMethods } from '../../domain/pricing.ts';
import { currentAccount } from '../auth.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { presentOrder, presentQuote } from '../presenters.ts';
import { bankTransferBody, createBankTransferTopUp, normalisedBankTransfer } from '../topups/bank-transfer-orders.ts';
import { cancelOrder, resumeOrder, startOrderWorkflow } from '../topups/order-workflow-calls.ts';
import { topUpOrderWorkflow } from '../../workflows/topup-order.ts';
import { orderTermsFromQuote, quoteBody, quoteFields, resolveQuote } from '../topups/quote.ts';
import { decodeRowIdCursor, pageOf, parseBody, parseChoice, parseIdempotencyKey, parseLimit } from '../validation.ts';

const maximumUrlLength = 2_000;
const returnUrl = z
  .string()
  .max(maximumUrlLength)
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    message: 'must be an http or https URL',
  });

const createTopUpBody = z.strictObject({
  ...quoteFields,
  success_url: returnUrl.optional(),
  cancel_url: returnUrl.optional(),
  bank_transfer: bankTransferBody.optional(),
});

const orderIdPattern = /^ord_[0-9a-z]{24}$/;

/** Cursors name their account, so one account's cursor is refused on another's list. */
function orderCursorKind(accountId: string): string {
  return `order:${accountId}`;
}

/** Digest of the normalised request: the same Idempotency-Key with a different body is refused. */
function requestHash(body: z.output<typeof createTopUpBody>): string {
  const normalised = {
    amount: body.amount?.toString() ?? null,
    package_id: body.package_id ?? null,
    payment_method: body.payment_method,
    promo_code: body.promo_code?.trim().toUpperCase() ?? null,
    success_url: body.success_url ?? null,
    cancel_url: body.cancel_url ?? null,
    // Only bank transfer requests carry the key, so the hashes of other requests stay as they were.
    ...normalisedBankTransfer(body.bank_transfer),
  };
  return createHash('sha256').update(JSON.stringify(normalised)).digest('hex');
}

/** The :id of an order route; an id of the wrong shape is a 404, like a missing order. */
export function orderIdParameter(value: string | string[] | undefined): string {
  // An id of the wrong shape cannot name any order: the same 404 as a missing one.
  if (typeof value !== 'string' || !orderIdPattern.test(value)) throw new ApiError('not_found', 'No such order.');
  return value;
}

export function topUpRoutes(dependencies: ApiDependencies): Router {
  const { sql, pricing, config, temporalClient } = dependencies;
  const router = Router();

  async function findOrder(accountId: string, orderId: string): Promise<OrderSnapshot> {
    const row = await getOrderRow(sql, orderId, accountId);
    if (row === null) throw new ApiError('not_found', 'No such order.');
    return snapshotFromRow(row);
  }

  router.get('/v1/topup-options', (_request, response) => {
    const account = currentAccount(response);
    const currencyPricing = pricing[account.currency];
    response.json({
      currency: account.currency,
      packages: currencyPricing.packages.map((item) => ({
        id: item.id,
        amount: formatMicros(item.amountMicros),
        bonus: formatMicros(item.bonusMicros),
        credit: formatMicros(item.amountMicros + item.bonusMicros),
        label: item.label,
        description: item.description,
      })),
      bonus_tiers: currencyPricing.bonusTiers.map((tier) => ({
        min_amount: formatMicros(tier.minimumAmountMicros),
        bonus_percent: (tier.bonusBasisPoints / 100).toFixed(2),
      })),
      payment_methods: paymentMethods
        .filter((method) => currencyPricing.paymentMethods[method] !== undefined)
        .map((method) => ({
          id: method,
          min: formatMicros(currencyPricing.paymentMethods[method]!.minimumMicros),
          max: formatMicros(currencyPricing.paymentMethods[method]!.maximumMicros),
        })),
      order_expiry_minutes: config.orders.expiryMinutes,
    });
  });

  router.post('/v1/topup-quotes', async (request, response) => {
    const account = currentAccount(response);
    const body = parseBody(quoteBody, request.body);
    const { quote, promo } = await resolveQuote(sql, pricing, account, body);
    response.json(presentQuote(quote, promo));
  });

  router.post('/v1/topups', async (request, response) => {
    const account = currentAccount(response);
    const idempotencyKey = parseIdempotencyKey(request.get('idempotency-key'));
    const body = parseBody(createTopUpBody, request.body);
    if (body.payment_method === 'bank_transfer') {
      const created = await createBankTransferTopUp(dependencies, { account, idempotencyKey, choice: body, requestHash: requestHash(body) });
      if (created.replayed) response.set('Idempotent-Replayed', 'true');
      response.status(201).json(presentOrder(created.order, config.api.publicBaseUrl));
      return;
    }
    if (body.bank_transfer !== undefined) {
      throw new ApiError('invalid_field', 'bank_transfer is only for payment_method "bank_transfer".', 'bank_transfer');
    }
    if (body.payment_method !== 'stripe') {
      throw new ApiError('payment_method_unavailable', `${body.payment_method} top-ups are not available yet.`, 'payment_method');
    }
    const orderId = orderIdFor(account.accountId, idempotencyKey);
    const hash = requestHash(body);

    const existing = await getOrderRow(sql, orderId, account.accountId);
    if (existing !== null && existing.request_hash !== hash) {
      throw new ApiError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request.');
    }
    if (existing !== null && existing.checkout_url !== null) {
      response.set('Idempotent-Replayed', 'true').status(201).json(presentOrder(snapshotFromRow(existing), config.api.publicBaseUrl));
      return;
    }

    const { quote } = await resolveQuote(sql, pricing, account, body);
    const now = new Date();
    const returnBase = `${config.api.publicBaseUrl}/checkout/return?order_id=${orderId}`;
    const input: TopUpOrderInput = {
      orderId,
      accountId: account.accountId,
      customerEmail: account.email,
      requestHash: hash,
      idempotencyKey,
      terms: orderTermsFromQuote(quote),
      successUrl: body.success_url ?? `${returnBase}&result=success`,
      cancelUrl: body.cancel_url ?? `${returnBase}&result=cancel`,
      expiresAt: new Date(now.getTime() + config.orders.expiryMinutes * 60_000).toISOString(),
      createdAt: now.toISOString(),
    };
    const started = await startOrderWorkflow(temporalClient, config.temporal.taskQueue, { workflow: topUpOrderWorkflow, input });
    const order = started.kind === 'open' ? started.order : await findOrder(account.accountId, orderId);
    if (existing !== null || started.kind === 'closed') response.set('Idempotent-Replayed', 'true');
    response.status(201).json(presentOrder(order, config.api.publicBaseUrl));
  });

  router.get('/v1/topups', async (request, response) => {
    const account = currentAccount(response);
    const status = parseChoice('status', request.query.status, orderStatuses);
    const limit = parseLimit(request.query.limit);
    const beforeSequence = decodeRowIdCursor(orderCursorKind(account.accountId), request.query.cursor);
    const rows = await listOrders(sql, {
      accountId: account.accountId,
      status,
      beforeSequence,
      limit: limit + 1,
    });
    response.json(
      pageOf(rows, limit, (row) => presentOrder(snapshotFromRow(row), config.api.publicBaseUrl), {
        kind: orderCursorKind(account.accountId),
        position: (row) => row.sequence,
      }),
    );
  });

  router.get('/v1/topups/:id', async (request, response) => {
    const account = currentAccount(response);
    response.json(presentOrder(await findOrder(account.accountId, orderIdParameter(request.params.id)), config.api.publicBaseUrl));
  });

  router.post('/v1/topups/:id/resume', async (request, response) => {
    const account = currentAccount(response);
    const orderId = orderIdParameter(request.params.id);
    await findOrder(account.accountId, orderId);
    response.json(presentOrder(await resumeOrder(temporalClient, orderId), config.api.publicBaseUrl));
  });

  router.post('/v1/topups/:id/cancel', async (request, response) => {
    const account = currentAccount(response);
    const orderId = orderIdParameter(request.params.id);
    const order = await findOrder(account.accountId, orderId);
    if (order.status !== 'pending') throw new ApiError('order_not_cancellable', `The order is ${order.status}.`);
    response.json(presentOrder(await cancelOrder(temporalClient, orderId), config.api.publicBaseUrl));
  });

  return router;
}
