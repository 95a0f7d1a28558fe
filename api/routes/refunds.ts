// Refunds, the customer's side:
//   POST /v1/topups/{id}/refund-requests  (Idempotency-Key) {"amount"?, "reason"}  → 201 the refund
//   GET  /v1/refunds?status=&limit=&cursor=   newest first
//   GET  /v1/refunds/{id}
//   GET  /v1/refunds/{id}/credit-note         the PDF, once the refund has succeeded
// The request is recorded under a lock on the order (db/refunds/insert-refund.ts) and then carried out by
// its own workflow (refund-<refund id>), which the policy approves at once or ops decide on.
import { createHash } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { getCreditNote } from '../../db/credit-notes/get-credit-note.ts';
import { getRefundRow } from '../../db/refunds/get-refund.ts';
import { insertRefund, type InsertRefundInput } from '../../db/refunds/insert-refund.ts';
import { listRefunds } from '../../db/refunds/list-refunds.ts';
import type { RefundRow } from '../../db/refunds/refund-row.ts';
import { ApiError } from '../../domain/errors.ts';
import { isWholeMinorUnits, type Currency } from '../../domain/money.ts';
import { refundStatuses } from '../../domain/refunds.ts';
import { refundIdFor } from '../../ids/ids.ts';
import { refuseRestrictedAccount } from '../account-restrictions.ts';
import { currentAccount } from '../auth.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { presentRefund } from '../presenters.ts';
import { listQuery, orderIdParameters, pageSchema, pdfResponse, refundIdParameters, refundObject, refundStatus } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import { startRefundWorkflow } from '../refunds/refund-workflow-calls.ts';
import { amountSchema, decodeRowIdCursor, pageOf, parseBody, parseChoice, parseIdempotencyKey, parseLimit, storedText } from '../validation.ts';
import { orderIdParameter } from './topups.ts';

const refundIdPattern = /^rfd_[0-9a-z]{24}$/;
const maximumRefundReasonLength = 500;
export const refundReason = storedText(1, maximumRefundReasonLength, { trim: true });
const refundRequestBody = z.strictObject({ amount: amountSchema.optional(), reason: refundReason });

/** The :id of a refund route; an id of the wrong shape is a 404, like a missing refund. */
export function refundIdParameter(value: string | string[] | undefined): string {
  if (typeof value !== 'string' || !refundIdPattern.test(value)) throw new ApiError('not_found', 'No such refund.');
  return value;
}

/** A digest of what defines the request, so a reused Idempotency-Key with other content is refused. */
export function refundRequestHash(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** Refuses an amount the provider cannot pay back: refunds are whole cents (fen). */
export function refuseFractionalAmount(amountMicros: bigint | undefined, currency: Currency): void {
  if (amountMicros !== undefined && !isWholeMinorUnits(amountMicros, currency)) {
    throw new ApiError('amount_too_precise', `A refund is a whole number of ${currency} cents.`, 'amount');
  }
}

/** Records the refund (or finds the one of a retried request) and starts its workflow; refusals are API errors. */
export async function createRefund(dependencies: ApiDependencies, input: InsertRefundInput): Promise<{ refund: RefundRow; replayed: boolean }> {
  const result = await insertRefund(dependencies.sql, input);
  if (result.outcome === 'refused') {
    const field = result.code === 'refund_exceeds_refundable' ? 'amount' : undefined;
    throw new ApiError(result.code, result.message, field);
  }
  const { config, temporalClient } = dependencies;
  await startRefundWorkflow(temporalClient, config.temporal.taskQueue, config.refunds, result.refund);
  dependencies.logger.info({ orderId: result.refund.order_id, refundId: result.refund.id, status: result.refund.status, outcome: result.outcome }, 'refund recorded');
  return { refund: result.refund, replayed: result.outcome === 'existing' };
}

export function refundRoutes(dependencies: ApiDependencies): Router {
  const { sql, config } = dependencies;
  const router = Router();
  const cursorKind = (accountId: string) => `refund:${accountId}`;

  router.post('/v1/topups/:id/refund-requests', async (request, response) => {
    const account = currentAccount(response);
    const orderId = orderIdParameter(request.params.id);
    const idempotencyKey = parseIdempotencyKey(request.get('idempotency-key'));
    const body = parseBody(refundRequestBody, request.body);
    refuseFractionalAmount(body.amount, account.currency);
    await refuseRestrictedAccount(sql, account.accountId);
    const created = await createRefund(dependencies, {
      refundId: refundIdFor(account.accountId, idempotencyKey),
      orderId,
      accountId: account.accountId,
      requestedBy: 'customer',
      operator: null,
      idempotencyKey,
      requestHash: refundRequestHash([orderId, body.amount?.toString() ?? null, body.reason]),
      amountMicros: body.amount ?? null,
      reason: body.reason,
      policy: config.refunds.policy,
      capToUnconsumedCredit: false,
      now: new Date(),
    });
    if (created.replayed) response.set('Idempotent-Replayed', 'true');
    response.status(201).json(presentRefund(created.refund, config.api.publicBaseUrl));
  });

  router.get('/v1/refunds', async (request, response) => {
    const account = currentAccount(response);
    const status = parseChoice('status', request.query.status, refundStatuses);
    const limit = parseLimit(request.query.limit);
    const afterSequence = decodeRowIdCursor(cursorKind(account.accountId), request.query.cursor);
    const rows = await listRefunds(sql, { accountId: account.accountId, status, afterSequence, limit: limit + 1 });
    response.json(pageOf(rows, limit, (row) => presentRefund(row, config.api.publicBaseUrl), { kind: cursorKind(account.accountId), position: (row) => row.sequence }));
  });

  router.get('/v1/refunds/:id', async (request, response) => {
    const account = currentAccount(response);
    const row = await getRefundRow(sql, refundIdParameter(request.params.id), account.accountId);
    if (row === null) throw new ApiError('not_found', 'No such refund.');
    response.json(presentRefund(row, config.api.publicBaseUrl));
  });

  router.get('/v1/refunds/:id/credit-note', async (request, response) => {
    const account = currentAccount(response);
    const refundId = refundIdParameter(request.params.id);
    const note = await getCreditNote(sql, refundId, account.accountId);
    if (note !== null && note.pdf !== null && note.pdf_sha256 !== null) {
      response
        .status(200)
        .type('application/pdf')
        .set({
          'Content-Disposition': `attachment; filename="${note.number}.pdf"`,
          'Content-Length': String(note.pdf.length),
          ETag: `"${note.pdf_sha256.toString('hex')}"`,
          'Cache-Control': 'private, max-age=3600',
        })
        .end(note.pdf);
      return;
    }
    const row = await getRefundRow(sql, refundId, account.accountId);
    if (row === null) throw new ApiError('not_found', 'No such refund.');
    throw new ApiError(
      'credit_note_not_ready',
      row.status === 'succeeded' ? 'The credit note is being issued; retry in a few seconds.' : `The refund is ${row.status}; a credit note is issued once it has succeeded.`,
    );
  });

  return router;
}

/** The contract of these routes (api/openapi). */
export const refundOperations = defineOperations([
  {
    method: 'post',
    path: '/v1/topups/:id/refund-requests',
    operationId: 'requestRefund',
    summary: 'Ask for a refund of an order (all that is left of it without an amount)',
    tag: 'Refunds',
    access: 'customer',
    idempotencyKey: true,
    pathParameters: orderIdParameters,
    body: { schema: refundRequestBody, example: { amount: '20.00', reason: 'bought the wrong package' } },
    responses: { 201: { description: 'The refund, approved at once by the policy or waiting for ops.', replayable: true, schema: refundObject } },
    errors: ['invalid_amount', 'amount_too_precise', 'amount_too_large', 'order_not_refundable', 'refund_exceeds_refundable', 'refund_exceeds_unconsumed_credit', 'account_restricted'],
  },
  {
    method: 'get',
    path: '/v1/refunds',
    operationId: 'listRefunds',
    summary: 'The account\'s refunds, newest first',
    tag: 'Refunds',
    access: 'customer',
    query: listQuery({ status: refundStatus.optional() }),
    responses: { 200: { description: 'A page of refunds.', schema: pageSchema(refundObject) } },
  },
  {
    method: 'get',
    path: '/v1/refunds/:id',
    operationId: 'getRefund',
    summary: 'One refund',
    tag: 'Refunds',
    access: 'customer',
    pathParameters: refundIdParameters,
    responses: { 200: { description: 'The refund.', schema: refundObject } },
  },
  {
    method: 'get',
    path: '/v1/refunds/:id/credit-note',
    operationId: 'getRefundCreditNote',
    summary: 'The refund\'s credit note PDF',
    tag: 'Refunds',
    access: 'customer',
    pathParameters: refundIdParameters,
    responses: {
      200: pdfResponse('The PDF, immutable once issued.', 'attachment; filename="<credit note number>.pdf"'),
    },
    errors: ['credit_note_not_ready'],
  },
]);
