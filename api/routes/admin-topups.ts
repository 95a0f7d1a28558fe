// Ops' view of top-up orders, and their review of bank transfers (under /admin, with an operator's token):
//   GET  /admin/topups?payment_method=bank_transfer&status=pending,processing   oldest first, with age
//   GET  /admin/topups/:id                                             the order and its recorded actions
//   POST /admin/topups/:id/start-review                                pending -> processing
//   POST /admin/topups/:id/confirm-transfer                            processing -> succeeded (credited)
//   POST /admin/topups/:id/reject-transfer                             processing -> failed (customer emailed)
//   POST /admin/topups/:id/resolve-review                              a Stripe payment held for review:
//                                                                      credit it, or fail the order
// Each action is a Temporal update to the order's workflow, recorded once as the operator of the token,
// and idempotent: repeating it returns the same order and changes nothing. The audit log (api/admin-audit.ts)
// records every request besides.
import { Router } from 'express';
import { z } from 'zod';
import { getOrderRow } from '../../db/orders/get-order.ts';
import { listOrderActions, type OrderActionRow } from '../../db/orders/list-order-actions.ts';
import { listOrdersForOps } from '../../db/orders/list-orders-for-ops.ts';
import { snapshotFromRow, type OrderRow } from '../../db/orders/order-row.ts';
import type { OpsRequest } from '../../domain/bank-transfers.ts';
import { refundsOfOrders, type OrderRefundSummary } from '../../db/refunds/refunds-of-orders.ts';
import { ApiError } from '../../domain/errors.ts';
import { currencyExponents, formatMicros, isWholeMinorUnits, type Currency } from '../../domain/money.ts';
import { orderStatuses, type OrderSnapshot, type OrderStatus } from '../../domain/orders.ts';
import { paymentMethods } from '../../domain/pricing.ts';
import { normalizeTransferReference } from '../../domain/transfer-references.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { operator, reasonText } from '../operator.ts';
import { presentOrder } from '../presenters.ts';
import { listQuery, opsOrderFields, orderIdParameters, orderObject, pageSchema, paymentMethod, timestamp } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import { applyOpsAction } from '../topups/bank-transfer-workflow-calls.ts';
import { resolveHeldPayment } from '../topups/order-workflow-calls.ts';
import { amountSchema, decodeRowIdCursor, pageOf, parseBody, parseChoice, parseLimit, storedText } from '../validation.ts';

const maximumBankReferenceLength = 100;
const orderIdPattern = /^ord_[0-9a-z]{24}$/;
const opsCursorKind = 'ops-order';


/** Amounts on a bank statement are whole minor units of the order's currency (fen, cents). */
const statementAmount = (currency: Currency) =>
  amountSchema.refine((micros) => isWholeMinorUnits(micros, currency), {
    message: `must have at most ${currencyExponents[currency]} decimals`,
    params: { errorCode: 'amount_too_precise' },
  });

const startReviewBody = z.strictObject({});

const confirmTransferBody = (currency: Currency) =>
  z
  .strictObject({
    amount_received: statementAmount(currency),
    // Any printable text, Chinese included, as the bank statement shows it (control characters are refused).
    bank_reference: storedText(1, maximumBankReferenceLength, { trim: true }),
    corrected_credit: statementAmount(currency).optional(),
    reason: reasonText.optional(),
  })
  .superRefine((body, context) => {
    if (body.corrected_credit !== undefined && body.reason === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['reason'],
        message: 'is required with corrected_credit',
        params: { errorCode: 'missing_field' },
      });
    }
  });

const rejectTransferBody = z.strictObject({ reason: reasonText });

const resolveReviewBody = z.strictObject({ decision: z.enum(['credit', 'fail']), reason: reasonText });

/** `status=pending` or `status=pending,processing`: the statuses to list, or null for all. */
function parseStatuses(value: unknown): OrderStatus[] | null {
  if (value === undefined) return null;
  const parts = typeof value === 'string' ? value.split(',') : [];
  if (parts.length === 0 || parts.length > orderStatuses.length || !parts.every((part) => (orderStatuses as readonly string[]).includes(part))) {
    throw new ApiError('invalid_query_parameter', `status must be one or more of ${orderStatuses.join(', ')}, separated by commas.`, 'status');
  }
  return parts as OrderStatus[];
}

/** `reference=rf 7kq4 m2xp`: a transfer reference as ops typed it, or null when not asked for. */
function parseTransferReference(value: unknown): string | null {
  if (value === undefined) return null;
  const reference = typeof value === 'string' ? normalizeTransferReference(value) : null;
  if (reference === null) {
    throw new ApiError('invalid_query_parameter', 'reference must be a transfer reference such as RF-7KQ4-M2XP.', 'reference');
  }
  return reference;
}

function ageSeconds(createdAt: Date, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - createdAt.getTime()) / 1000));
}

function presentAction(action: OrderActionRow) {
  return {
    action: action.action,
    actor: action.actor,
    reason: action.reason,
    payload: action.payload,
    at: action.occurred_at.toISOString(),
  };
}

/**
 * A confirmation that corrected the credit has been applied with exactly these details (a repeat must
 * match them), so the answer shows the credit the ledger posted, as the order's later reads will.
 */
function withConfirmedCorrection(order: OrderSnapshot, request: OpsRequest): OrderSnapshot {
  if (request.action !== 'confirm_transfer' || request.correctedCredit === null || order.creditCorrection != null) return order;
  if (order.status !== 'succeeded') return order;
  return {
    ...order,
    creditCorrection: {
      amountReceived: request.amountReceived,
      quotedCredit: order.terms.credit,
      correctedCredit: request.correctedCredit,
      reason: request.reason ?? '',
    },
  };
}

/**
 * The bodies of the review routes, as functions of the order id, the request body and the operator: the
 * /admin routes below and the ops console (api/ops/) call the same ones, so validations, error codes and
 * effects are the same whichever way ops act. Each returns the order as the API presents it.
 */
export function topUpOpsActions(dependencies: ApiDependencies) {
  const { sql, temporalClient, logger, config } = dependencies;

  /** The order named by :id, paid by the given method (any other is not found here). */
  async function orderPaidBy(value: unknown, method: OrderRow['payment_method'] | null): Promise<OrderRow> {
    const row = typeof value === 'string' && orderIdPattern.test(value) ? await getOrderRow(sql, value, null) : null;
    if (row === null || (method !== null && row.payment_method !== method)) throw new ApiError('not_found', 'No such order.');
    return row;
  }
  const bankTransferOrder = (value: unknown) => orderPaidBy(value, 'bank_transfer');

  async function act(orderId: string, opsRequest: OpsRequest) {
    const order = await applyOpsAction(temporalClient, sql, orderId, opsRequest);
    logger.info({ orderId, action: opsRequest.action, actor: opsRequest.actor, status: order.status }, 'ops action');
    return presentOrder(withConfirmedCorrection(order, opsRequest), config.api.publicBaseUrl);
  }

  return {
    orderPaidBy,

    async startReview(orderId: unknown, body: unknown, actor: string) {
      const row = await bankTransferOrder(orderId);
      parseBody(startReviewBody, body ?? {});
      return act(row.id, { action: 'start_review', actor });
    },

    async confirmTransfer(orderId: unknown, body: unknown, actor: string) {
      const row = await bankTransferOrder(orderId);
      const parsed = parseBody(confirmTransferBody(row.currency), body);
      return act(row.id, {
        action: 'confirm_transfer',
        actor,
        amountReceived: formatMicros(parsed.amount_received),
        bankReference: parsed.bank_reference,
        correctedCredit: parsed.corrected_credit === undefined ? null : formatMicros(parsed.corrected_credit),
        reason: parsed.reason ?? null,
      });
    },

    async rejectTransfer(orderId: unknown, body: unknown, actor: string) {
      const row = await bankTransferOrder(orderId);
      const parsed = parseBody(rejectTransferBody, body);
      return act(row.id, { action: 'reject_transfer', actor, reason: parsed.reason });
    },

    async resolveReview(orderId: unknown, body: unknown, actor: string) {
      const row = await orderPaidBy(orderId, 'stripe');
      const parsed = parseBody(resolveReviewBody, body);
      const order = await resolveHeldPayment(temporalClient, sql, row.id, { decision: parsed.decision, reason: parsed.reason, actor });
      logger.info({ orderId: row.id, action: 'resolve_review', actor, decision: parsed.decision, status: order.status }, 'ops action');
      return presentOrder(order, config.api.publicBaseUrl);
    },
  };
}

/** The ops routes above; mounted after the admin token check. */
export function adminTopUpRoutes(dependencies: ApiDependencies): Router {
  const { sql, config } = dependencies;
  const router = Router();
  const actions = topUpOpsActions(dependencies);

  function presentOpsOrder(row: OrderRow, now: Date, refunds: Map<string, OrderRefundSummary[]>) {
    return {
      ...presentOrder(snapshotFromRow(row), config.api.publicBaseUrl, refunds.get(row.id)),
      account_id: row.account_id,
      age_seconds: ageSeconds(row.created_at, now),
    };
  }

  router.get('/admin/topups', async (request, response) => {
    const paymentMethod = parseChoice('payment_method', request.query.payment_method, paymentMethods);
    const statuses = parseStatuses(request.query.status);
    const limit = parseLimit(request.query.limit);
    const afterSequence = decodeRowIdCursor(opsCursorKind, request.query.cursor);
    const transferReference = parseTransferReference(request.query.reference);
    const rows = await listOrdersForOps(sql, { paymentMethod, statuses, transferReference, afterSequence, limit: limit + 1 });
    const now = new Date();
    const refunds = await refundsOfOrders(sql, rows.map((row) => row.id));
    response.json(
      pageOf(rows, limit, (row) => ({ ...presentOpsOrder(row, now, refunds), customer_email: row.customer_email }), {
        kind: opsCursorKind,
        position: (row) => row.sequence,
      }),
    );
  });

  router.get('/admin/topups/:id', async (request, response) => {
    const row = await actions.orderPaidBy(request.params.id, null);
    const recorded = await listOrderActions(sql, row.id);
    const refunds = await refundsOfOrders(sql, [row.id]);
    response.json({ ...presentOpsOrder(row, new Date(), refunds), actions: recorded.map(presentAction) });
  });

  router.post('/admin/topups/:id/start-review', async (request, response) => {
    response.json(await actions.startReview(request.params.id, request.body, operator(request)));
  });

  router.post('/admin/topups/:id/confirm-transfer', async (request, response) => {
    response.json(await actions.confirmTransfer(request.params.id, request.body, operator(request)));
  });

  router.post('/admin/topups/:id/reject-transfer', async (request, response) => {
    response.json(await actions.rejectTransfer(request.params.id, request.body, operator(request)));
  });

  router.post('/admin/topups/:id/resolve-review', async (request, response) => {
    response.json(await actions.resolveReview(request.params.id, request.body, operator(request)));
  });

  return router;
}

const bankTransferOrderParameters = orderIdParameters;
const reviewErrors = ['order_not_reviewable', 'order_not_in_review', 'order_already_reviewed'] as const;

/** The contract of these routes (api/openapi). */
export const adminTopUpOperations = defineOperations([
  {
    method: 'get',
    path: '/admin/topups',
    operationId: 'listOpsTopUps',
    summary: 'Orders of every account, oldest first, with remitter, reference and age',
    tag: 'Ops: top-ups',
    access: 'admin',
    query: listQuery({
      payment_method: paymentMethod.optional(),
      status: z.string().optional().meta({ description: 'One or more statuses, separated by commas.', example: 'pending,processing' }),
      reference: z.string().optional().meta({ description: 'A bank transfer reference, as typed.', example: 'RF-7KQ4-M2XP' }),
    }),
    responses: { 200: { description: 'A page of orders.', schema: pageSchema(z.object({ ...opsOrderFields, customer_email: z.string() }).meta({ id: 'OpsOrderListItem' })) } },
  },
  {
    method: 'get',
    path: '/admin/topups/:id',
    operationId: 'getOpsTopUp',
    summary: 'Any order, with every recorded ops action',
    tag: 'Ops: top-ups',
    access: 'admin',
    pathParameters: orderIdParameters,
    responses: {
      200: {
        description: 'The order and its actions.',
        schema: z
          .object({
            ...opsOrderFields,
            actions: z.array(z.object({ action: z.string(), actor: z.string(), reason: z.string().nullable(), payload: z.unknown(), at: timestamp })),
          })
          .meta({ id: 'OpsOrderWithActions' }),
      },
    },
  },
  {
    method: 'post',
    path: '/admin/topups/:id/start-review',
    operationId: 'startTransferReview',
    summary: 'Bank transfer: pending → processing (the customer can no longer cancel)',
    tag: 'Ops: top-ups',
    access: 'admin',
    pathParameters: bankTransferOrderParameters,
    body: { schema: startReviewBody, required: false, example: {} },
    responses: { 200: { description: 'The order.', schema: orderObject } },
    errors: reviewErrors,
  },
  {
    method: 'post',
    path: '/admin/topups/:id/confirm-transfer',
    operationId: 'confirmTransfer',
    summary: 'Bank transfer received: credit the order once',
    tag: 'Ops: top-ups',
    access: 'admin',
    pathParameters: bankTransferOrderParameters,
    body: { schema: confirmTransferBody('CNY'), example: { amount_received: '700.00', bank_reference: 'ICBC-20261201-0042' } },
    responses: { 200: { description: 'The order, credited.', schema: orderObject } },
    errors: [...reviewErrors, 'amount_mismatch', 'invalid_amount', 'amount_too_precise', 'amount_too_large'],
  },
  {
    method: 'post',
    path: '/admin/topups/:id/reject-transfer',
    operationId: 'rejectTransfer',
    summary: 'Bank transfer not received: fail the order and email the reason',
    tag: 'Ops: top-ups',
    access: 'admin',
    pathParameters: bankTransferOrderParameters,
    body: { schema: rejectTransferBody, example: { reason: 'no transfer with this reference arrived' } },
    responses: { 200: { description: 'The order, failed.', schema: orderObject } },
    errors: reviewErrors,
  },
  {
    method: 'post',
    path: '/admin/topups/:id/resolve-review',
    operationId: 'resolveHeldPayment',
    summary: 'A Stripe payment held for review: credit the locked quote once, or fail the order',
    tag: 'Ops: top-ups',
    access: 'admin',
    pathParameters: orderIdParameters,
    body: { schema: resolveReviewBody, example: { decision: 'credit', reason: 'the customer paid the quoted amount in another currency' } },
    responses: { 200: { description: 'The order.', schema: orderObject } },
    errors: ['order_not_in_review', 'order_already_reviewed'],
  },
]);
