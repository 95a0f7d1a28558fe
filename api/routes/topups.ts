// Top-ups: options, quotes, and orders (create, list, read, resume, cancel).
import { Router } from 'express';
import { z } from 'zod';
import { getOrderRow } from '../../db/orders/get-order.ts';
import { listOrders } from '../../db/orders/list-orders.ts';
import { refundsOfOrders } from '../../db/refunds/refunds-of-orders.ts';
import { refuseRestrictedAccount } from '../account-restrictions.ts';
import { snapshotFromRow } from '../../db/orders/order-row.ts';
import { ApiError } from '../../domain/errors.ts';
import { formatMicros } from '../../domain/money.ts';
import { orderStatusSentence } from '../../domain/order-status-text.ts';
import { orderStatuses, type OrderSnapshot } from '../../domain/orders.ts';
import { paymentProviders, stripePaymentMethodTypes, type CurrencyPricing, type PaymentFlow } from '../../domain/pricing.ts';
import { percentFromBasisPoints } from '../../domain/pricing-math.ts';
import { currentAccount } from '../auth.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { presentOrder, presentQuote } from '../presenters.ts';
import { currency, listQuery, money, orderIdParameters, orderObject, orderStatus, pageSchema, paymentMethod, quoteObject } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import { createTopUp, createTopUpBody } from '../topups/create-order.ts';
import { cancelOrder, resumeOrder } from '../topups/order-workflow-calls.ts';
import { quoteBody, resolveQuote } from '../topups/quote.ts';
import { withPortalReturnUrls } from '../topups/portal-return-urls.ts';
import { decodeRowIdCursor, pageOf, parseBody, parseChoice, parseIdempotencyKey, parseLimit } from '../validation.ts';

const orderIdPattern = /^ord_[0-9a-z]{24}$/;

/** Cursors name their account, so one account's cursor is refused on another's list. */
function orderCursorKind(accountId: string): string {
  return `order:${accountId}`;
}

/** The :id of an order route; an id of the wrong shape is a 404, like a missing order. */
export function orderIdParameter(value: string | string[] | undefined): string {
  // An id of the wrong shape cannot name any order: the same 404 as a missing one.
  if (typeof value !== 'string' || !orderIdPattern.test(value)) throw new ApiError('not_found', 'No such order.');
  return value;
}

/** What a customer can buy and how they can pay, for their currency. */
function presentTopUpOptions(currencyPricing: CurrencyPricing) {
  return {
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
      bonus_percent: percentFromBasisPoints(tier.bonusBasisPoints),
    })),
    // In the pricing file's order; only the methods this installation offers (api/topups/available-providers.ts).
    payment_methods: Object.entries(currencyPricing.paymentMethods).flatMap(([method, option]) =>
      option === undefined
        ? []
        : [
            {
              id: method,
              min: formatMicros(option.minimumMicros),
              max: formatMicros(option.maximumMicros),
              provider: option.provider,
              flow: option.flow,
              display_name: { en: option.displayName.en, 'zh-CN': option.displayName.zhCN },
              icon: option.icon,
              payment_method_types: option.paymentMethodTypes,
            },
          ],
    ),
  };
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
    response.json({ currency: account.currency, ...presentTopUpOptions(pricing[account.currency]), order_expiry_minutes: config.orders.expiryMinutes });
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
    const parsed = parseBody(createTopUpBody, request.body);
    // An order made in the billing portal comes back to the portal's result tab after its checkout.
    const body = response.locals.portalSession === true ? withPortalReturnUrls(parsed, account, idempotencyKey, config.api.publicBaseUrl) : parsed;
    await refuseRestrictedAccount(sql, account.accountId);
    const created = await createTopUp(dependencies, account, idempotencyKey, body);
    if (created.replayed) response.set('Idempotent-Replayed', 'true');
    response.status(201).json(presentOrder(created.order, config.api.publicBaseUrl));
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
    const refunds = await refundsOfOrders(sql, rows.map((row) => row.id));
    response.json(
      pageOf(rows, limit, (row) => presentOrder(snapshotFromRow(row), config.api.publicBaseUrl, refunds.get(row.id)), {
        kind: orderCursorKind(account.accountId),
        position: (row) => row.sequence,
      }),
    );
  });

  router.get('/v1/topups/:id', async (request, response) => {
    const account = currentAccount(response);
    const order = await findOrder(account.accountId, orderIdParameter(request.params.id));
    const refunds = await refundsOfOrders(sql, [order.orderId]);
    response.json(presentOrder(order, config.api.publicBaseUrl, refunds.get(order.orderId)));
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
    if (order.status !== 'pending') throw new ApiError('order_not_cancellable', `${orderStatusSentence(order.status)} Only a pending order can be cancelled.`);
    response.json(presentOrder(await cancelOrder(temporalClient, orderId), config.api.publicBaseUrl));
  });

  return router;
}

const quoteErrors = [
  'invalid_amount', 'amount_too_precise', 'amount_too_large', 'unknown_package', 'payment_method_unavailable', 'amount_below_minimum',
  'amount_above_maximum', 'pay_amount_below_minimum', 'promo_code_not_found', 'promo_code_expired', 'promo_code_exhausted', 'promo_code_limit_reached', 'promo_code_not_applicable',
] as const;

/** One way to pay, as the pricing file configures it (domain/pricing.ts), for a portal to draw. */
const paymentMethodOptionObject = z
  .object({
    id: paymentMethod,
    min: money,
    max: money,
    provider: z.enum(paymentProviders).meta({ description: 'Who takes the money.' }),
    flow: z.enum(['redirect', 'qr_code', 'bank_transfer'] satisfies PaymentFlow[]).meta({
      description: 'How the payer pays: sent to checkout_url (redirect), shown next_action\'s QR code (qr_code), or told where to transfer (bank_transfer).',
    }),
    display_name: z.object({ en: z.string(), 'zh-CN': z.string() }).meta({ example: { en: 'WeChat Pay', 'zh-CN': '微信支付' } }),
    icon: z.string().nullable().meta({ description: 'The icon to draw (a name such as "alipay", or a URL), or null.', example: 'wechat_pay' }),
    payment_method_types: z.array(z.enum(stripePaymentMethodTypes)).meta({
      description: 'Stripe only: the Checkout session\'s payment_method_types; empty means the Stripe dashboard\'s choice.',
      example: ['card', 'alipay'],
    }),
  })
  .meta({ id: 'PaymentMethodOption' });

const topUpOptionsObject = z
  .object({
    currency,
    packages: z.array(z.object({ id: z.string(), amount: money, bonus: money, credit: money, label: z.string(), description: z.string() })),
    bonus_tiers: z.array(z.object({ min_amount: money, bonus_percent: z.string() })),
    payment_methods: z.array(paymentMethodOptionObject),
    order_expiry_minutes: z.number().int(),
  })
  .meta({ id: 'TopUpOptions' });

/** The contract of these routes (api/openapi). */
export const topUpOperations = defineOperations([
  {
    method: 'get',
    path: '/v1/topup-options',
    operationId: 'getTopUpOptions',
    summary: 'Packages, bonus tiers and payment methods for the account\'s currency',
    tag: 'Top-ups',
    access: 'customer',
    responses: { 200: { description: 'What the account can buy and how it can pay.', schema: topUpOptionsObject } },
  },
  {
    method: 'post',
    path: '/v1/topup-quotes',
    operationId: 'createTopUpQuote',
    summary: 'Price a top-up: what is paid and what is credited (no side effects)',
    tag: 'Top-ups',
    access: 'customer',
    body: { schema: quoteBody, example: { package_id: 'usd_100', payment_method: 'stripe' } },
    responses: { 200: { description: 'The quote.', schema: quoteObject } },
    errors: quoteErrors,
  },
  {
    method: 'post',
    path: '/v1/topups',
    operationId: 'createTopUp',
    summary: 'Create a top-up order and its checkout',
    description: 'Exactly one of `amount` and `package_id`. The same Idempotency-Key and body again returns the same order; another body is `409 idempotency_key_reused`.',
    tag: 'Top-ups',
    access: 'customer',
    idempotencyKey: true,
    body: { schema: createTopUpBody, example: { package_id: 'usd_100', payment_method: 'stripe' } },
    responses: {
      201: {
        description: 'The order, with `checkout_url` (Stripe, Airwallex), `next_action` (the QR code of Alipay and WeChat Pay) or `bank_transfer` (bank transfer).',
        replayable: true,
        schema: orderObject,
      },
    },
    errors: [...quoteErrors, 'redirect_not_allowed', 'account_restricted', 'payment_provider_error'],
  },
  {
    method: 'get',
    path: '/v1/topups',
    operationId: 'listTopUps',
    summary: 'The account\'s orders, newest first',
    tag: 'Top-ups',
    access: 'customer',
    query: listQuery({ status: orderStatus.optional() }),
    responses: { 200: { description: 'A page of orders.', schema: pageSchema(orderObject) } },
  },
  {
    method: 'get',
    path: '/v1/topups/:id',
    operationId: 'getTopUp',
    summary: 'One order',
    tag: 'Top-ups',
    access: 'customer',
    pathParameters: orderIdParameters,
    responses: { 200: { description: 'The order.', schema: orderObject } },
  },
  {
    method: 'post',
    path: '/v1/topups/:id/resume',
    operationId: 'resumeTopUp',
    summary: 'The pending order with its still-valid checkout_url',
    tag: 'Top-ups',
    access: 'customer',
    pathParameters: orderIdParameters,
    responses: { 200: { description: 'The order.', schema: orderObject } },
    errors: ['order_not_resumable'],
  },
  {
    method: 'post',
    path: '/v1/topups/:id/cancel',
    operationId: 'cancelTopUp',
    summary: 'Cancel a pending order (a payment that got there first wins)',
    tag: 'Top-ups',
    access: 'customer',
    pathParameters: orderIdParameters,
    responses: { 200: { description: 'The order, cancelled, or paid when the payment won.', schema: orderObject } },
    errors: ['order_not_cancellable'],
  },
]);
