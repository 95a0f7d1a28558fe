// Ops' refunds and disputes (under /admin, with an operator's token; every write is in the audit log):
//   GET  /admin/refunds?status=&limit=&cursor=        oldest first (status=requested: the queue to decide)
//   GET  /admin/refunds/{id}
//   POST /admin/refunds/{id}/approve                 {"reason"?}
//   POST /admin/refunds/{id}/reject                  {"reason"}
//   POST /admin/refunds/{id}/confirm-payout          {"bank_reference"}   a bank transfer order's payout
//   POST /admin/topups/{id}/refunds   (Idempotency-Key) {"amount"?, "reason", "cap_to_unconsumed_credit"?}
//   GET  /admin/disputes?status=&limit=&cursor=       oldest first
//   POST /admin/accounts/{id}/lift-restriction        {"reason"}
// Decisions and payouts go to the refund's workflow, which carries them out once; the operator of the
// token is recorded as who decided.
import { Router } from 'express';
import { z } from 'zod';
import { liftAccountRestrictions } from '../../db/accounts/lift-account-restrictions.ts';
import type { DisputeRow } from '../../db/disputes/dispute-row.ts';
import { listDisputes } from '../../db/disputes/list-disputes.ts';
import { getRefundRow } from '../../db/refunds/get-refund.ts';
import { listRefunds } from '../../db/refunds/list-refunds.ts';
import type { RefundRow } from '../../db/refunds/refund-row.ts';
import { ApiError } from '../../domain/errors.ts';
import { formatMicros } from '../../domain/money.ts';
import { disputeStatuses, refundStatuses } from '../../domain/refunds.ts';
import { refundIdFor } from '../../ids/ids.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { operator, reasonText } from '../operator.ts';
import { presentRefund } from '../presenters.ts';
import { disputeObject, idParameter, listQuery, opsRefundObject, orderIdParameters, pageSchema, refundIdParameters, refundStatus } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import { confirmPayout, decideRefund, refundAfterCall, startRefundWorkflow } from '../refunds/refund-workflow-calls.ts';
import { amountSchema, decodeRowIdCursor, pageOf, parseBody, parseChoice, parseIdempotencyKey, parseLimit, storedText } from '../validation.ts';
import { createRefund, refundIdParameter, refundReason, refundRequestHash, refuseFractionalAmount } from './refunds.ts';
import { orderIdParameter } from './topups.ts';

const approveBody = z.strictObject({ reason: reasonText.optional() });
const rejectBody = z.strictObject({ reason: reasonText });
const payoutBody = z.strictObject({ bank_reference: storedText(1, 200, { trim: true }) });
const opsRefundBody = z.strictObject({ amount: amountSchema.optional(), reason: refundReason, cap_to_unconsumed_credit: z.boolean().optional() });
const accountIdPattern = /^acct_[0-9a-z]{24}$/;

function presentOpsRefund(row: RefundRow, publicBaseUrl: string) {
  return {
    ...presentRefund(row, publicBaseUrl),
    account_id: row.account_id,
    requested_by_operator: row.requested_by_operator,
    decided_by: row.decided_by,
    bank_reference: row.bank_reference,
    payment_method: row.payment_method,
    transfer_id: row.transfer_id?.toString() ?? null,
    reversal_transfer_id: row.reversal_transfer_id?.toString() ?? null,
    debt: formatMicros(row.debt_micros),
  };
}

function presentDispute(row: DisputeRow) {
  return {
    id: row.id,
    order_id: row.order_id,
    account_id: row.account_id,
    status: row.status,
    amount: formatMicros(row.amount_micros),
    currency: row.currency,
    credit_taken: formatMicros(row.credit_taken_micros),
    debt: formatMicros(row.debt_micros),
    provider_reason: row.provider_reason,
    opened_at: row.opened_at.toISOString(),
    closed_at: row.closed_at?.toISOString() ?? null,
  };
}

/** The decision and payout routes' bodies, as functions both /admin and the ops console (api/ops/) call. */
export function refundOpsActions(dependencies: ApiDependencies) {
  const { sql, config, temporalClient, logger } = dependencies;
  const present = (row: RefundRow) => presentOpsRefund(row, config.api.publicBaseUrl);

  async function refundNamed(value: unknown): Promise<RefundRow> {
    const row = await getRefundRow(sql, refundIdParameter(value as string | string[] | undefined), null);
    if (row === null) throw new ApiError('not_found', 'No such refund.');
    return row;
  }

  async function decide(decision: 'approve' | 'reject', id: unknown, body: unknown, actor: string) {
    const row = await refundNamed(id);
    const parsed = parseBody(decision === 'approve' ? approveBody : rejectBody, body ?? {});
    // A refund whose workflow a crash kept from starting gets it now, so ops' decision has somewhere to go.
    if (row.status === 'requested') await startRefundWorkflow(temporalClient, config.temporal.taskQueue, config.refunds, row);
    await decideRefund(temporalClient, row, { decision, reason: parsed.reason ?? 'approved by ops', actor });
    logger.info({ refundId: row.id, orderId: row.order_id, decision, actor }, 'ops action');
    return present(await refundAfterCall(sql, row.id));
  }

  return {
    present,
    refundNamed,
    approve: (id: unknown, body: unknown, actor: string) => decide('approve', id, body, actor),
    reject: (id: unknown, body: unknown, actor: string) => decide('reject', id, body, actor),
    async confirmPayout(id: unknown, body: unknown, actor: string) {
      const row = await refundNamed(id);
      const parsed = parseBody(payoutBody, body);
      await confirmPayout(temporalClient, row, { bankReference: parsed.bank_reference, actor });
      logger.info({ refundId: row.id, orderId: row.order_id, actor }, 'ops action: payout confirmed');
      return present(await refundAfterCall(sql, row.id));
    },
  };
}

export function adminRefundRoutes(dependencies: ApiDependencies): Router {
  const { sql } = dependencies;
  const router = Router();
  const actions = refundOpsActions(dependencies);
  const { present } = actions;

  router.get('/admin/refunds', async (request, response) => {
    const status = parseChoice('status', request.query.status, refundStatuses);
    const limit = parseLimit(request.query.limit);
    const afterSequence = decodeRowIdCursor('admin-refund', request.query.cursor);
    const rows = await listRefunds(sql, { accountId: null, status, afterSequence, limit: limit + 1 });
    response.json(pageOf(rows, limit, present, { kind: 'admin-refund', position: (row) => row.sequence }));
  });

  router.get('/admin/refunds/:id', async (request, response) => {
    response.json(present(await actions.refundNamed(request.params.id)));
  });

  for (const decision of ['approve', 'reject'] as const) {
    router.post(`/admin/refunds/:id/${decision}`, async (request, response) => {
      response.json(await actions[decision](request.params.id, request.body, operator(request)));
    });
  }

  router.post('/admin/refunds/:id/confirm-payout', async (request, response) => {
    response.json(await actions.confirmPayout(request.params.id, request.body, operator(request)));
  });

  router.post('/admin/topups/:id/refunds', async (request, response) => {
    const orderId = orderIdParameter(request.params.id);
    const idempotencyKey = parseIdempotencyKey(request.get('idempotency-key'));
    const body = parseBody(opsRefundBody, request.body);
    const actor = operator(request);
    const [order] = await sql<{ currency: 'USD' | 'CNY' }[]>`select currency from orders where id = ${orderId}`;
    if (order === undefined) throw new ApiError('not_found', 'No such order.');
    refuseFractionalAmount(body.amount, order.currency);
    const created = await createRefund(dependencies, {
      refundId: refundIdFor(`ops:${orderId}`, idempotencyKey),
      orderId,
      accountId: null,
      requestedBy: 'ops',
      operator: actor,
      idempotencyKey: `ops:${idempotencyKey}`,
      requestHash: refundRequestHash([orderId, body.amount?.toString() ?? null, body.reason, body.cap_to_unconsumed_credit ?? false]),
      amountMicros: body.amount ?? null,
      reason: body.reason,
      policy: null,
      capToUnconsumedCredit: body.cap_to_unconsumed_credit ?? false,
      now: new Date(),
    });
    if (created.replayed) response.set('Idempotent-Replayed', 'true');
    response.status(201).json(present(created.refund));
  });

  router.get('/admin/disputes', async (request, response) => {
    const status = parseChoice('status', request.query.status, disputeStatuses);
    const limit = parseLimit(request.query.limit);
    const afterSequence = decodeRowIdCursor('admin-dispute', request.query.cursor);
    const rows = await listDisputes(sql, { status, afterSequence, limit: limit + 1 });
    response.json(pageOf(rows, limit, presentDispute, { kind: 'admin-dispute', position: (row) => row.sequence }));
  });

  router.post('/admin/accounts/:id/lift-restriction', async (request, response) => {
    const accountId = request.params.id;
    if (typeof accountId !== 'string' || !accountIdPattern.test(accountId)) throw new ApiError('not_found', 'No such account.');
    const body = parseBody(rejectBody, request.body);
    const lifted = await liftAccountRestrictions(sql, { accountId, operator: operator(request), reason: body.reason });
    if (lifted === 0) throw new ApiError('account_not_restricted', 'The account has no restriction in force.');
    response.json({ account_id: accountId, restricted: false, lifted });
  });

  return router;
}

const decisionErrors = ['refund_already_decided'] as const;

/** The contract of these routes (api/openapi). */
export const adminRefundOperations = defineOperations([
  {
    method: 'get',
    path: '/admin/refunds',
    operationId: 'listAllRefunds',
    summary: 'Refunds of every account, oldest first (status=requested: the queue to decide)',
    tag: 'Ops: refunds and disputes',
    access: 'admin',
    query: listQuery({ status: refundStatus.optional() }),
    responses: { 200: { description: 'A page of refunds.', schema: pageSchema(opsRefundObject) } },
  },
  {
    method: 'get',
    path: '/admin/refunds/:id',
    operationId: 'getOpsRefund',
    summary: 'One refund, with its transfers, debt and who decided',
    tag: 'Ops: refunds and disputes',
    access: 'admin',
    pathParameters: refundIdParameters,
    responses: { 200: { description: 'The refund.', schema: opsRefundObject } },
  },
  {
    method: 'post',
    path: '/admin/refunds/:id/approve',
    operationId: 'approveRefund',
    summary: 'Approve a requested refund',
    tag: 'Ops: refunds and disputes',
    access: 'admin',
    pathParameters: refundIdParameters,
    body: { schema: approveBody, required: false, example: { reason: 'customer asked within a day' } },
    responses: { 200: { description: 'The refund after the decision.', schema: opsRefundObject } },
    errors: decisionErrors,
  },
  {
    method: 'post',
    path: '/admin/refunds/:id/reject',
    operationId: 'rejectRefund',
    summary: 'Reject a requested refund',
    tag: 'Ops: refunds and disputes',
    access: 'admin',
    pathParameters: refundIdParameters,
    body: { schema: rejectBody, example: { reason: 'the credit was used' } },
    responses: { 200: { description: 'The refund after the decision.', schema: opsRefundObject } },
    errors: decisionErrors,
  },
  {
    method: 'post',
    path: '/admin/refunds/:id/confirm-payout',
    operationId: 'confirmRefundPayout',
    summary: 'Ops paid a bank transfer order\'s refund out',
    tag: 'Ops: refunds and disputes',
    access: 'admin',
    pathParameters: refundIdParameters,
    body: { schema: payoutBody, example: { bank_reference: 'ICBC-20261201-0042' } },
    responses: { 200: { description: 'The refund after the payout.', schema: opsRefundObject } },
    errors: ['refund_not_awaiting_payout'],
  },
  {
    method: 'post',
    path: '/admin/topups/:id/refunds',
    operationId: 'createOpsRefund',
    summary: 'Refund an order without a request, also beyond the window',
    tag: 'Ops: refunds and disputes',
    access: 'admin',
    idempotencyKey: true,
    pathParameters: orderIdParameters,
    body: { schema: opsRefundBody, example: { amount: '20.00', reason: 'goodwill', cap_to_unconsumed_credit: true } },
    responses: { 201: { description: 'The refund.', replayable: true, schema: opsRefundObject } },
    errors: ['invalid_amount', 'amount_too_precise', 'amount_too_large', 'order_not_refundable', 'refund_exceeds_refundable', 'refund_exceeds_unconsumed_credit'],
  },
  {
    method: 'get',
    path: '/admin/disputes',
    operationId: 'listDisputes',
    summary: 'Disputes (chargebacks), oldest first',
    tag: 'Ops: refunds and disputes',
    access: 'admin',
    query: listQuery({ status: z.enum(disputeStatuses).optional() }),
    responses: { 200: { description: 'A page of disputes.', schema: pageSchema(disputeObject) } },
  },
  {
    method: 'post',
    path: '/admin/accounts/:id/lift-restriction',
    operationId: 'liftAccountRestriction',
    summary: 'Lift every restriction of an account',
    tag: 'Ops: refunds and disputes',
    access: 'admin',
    pathParameters: idParameter(accountIdPattern, 'acct_0123456789abcdefghijklmn'),
    body: { schema: rejectBody, example: { reason: 'dispute withdrawn' } },
    responses: {
      200: {
        description: 'The restrictions lifted.',
        schema: z.object({ account_id: z.string(), restricted: z.literal(false), lifted: z.number().int().min(1) }),
      },
    },
    errors: ['account_not_restricted'],
  },
]);
