// Ops' payment exceptions (under /admin, with an operator's token): payments that reached an order after its
// workflow had closed, each waiting in its own workflow for a decision.
//   GET  /admin/payment-exceptions?status=open|resolved&limit=&cursor=   oldest first
//   GET  /admin/payment-exceptions/:id
//   POST /admin/payment-exceptions/:id/resolve   {"decision": "credit" | "refund" | "dismiss", "reason"}
// A decision is carried out once; the same decision again returns the exception, another is refused.
import { Router } from 'express';
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import { getPaymentException } from '../../db/payment-exceptions/get-payment-exception.ts';
import { listPaymentExceptions } from '../../db/payment-exceptions/list-payment-exceptions.ts';
import type { PaymentExceptionRow } from '../../db/payment-exceptions/payment-exception-row.ts';
import { ApiError } from '../../domain/errors.ts';
import {
  paymentExceptionDecisions,
  paymentExceptionStatuses,
  resolvePaymentExceptionUpdate,
  workflowIdOfPaymentException,
  type ResolvePaymentExceptionRequest,
} from '../../domain/payment-exceptions.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { idParameter, listQuery, pageSchema, timestamp } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import { operator, reasonText } from '../operator.ts';
import { apiErrorFromFailure, callWithDeadline, isClosedWorkflowError } from '../topups/order-workflow-calls.ts';
import { decodeRowIdCursor, pageOf, parseBody, parseChoice, parseLimit } from '../validation.ts';

const exceptionIdPattern = /^pex_[A-Za-z0-9_]{1,200}$/;
const cursorKind = 'payment-exception';
const resolveBody = z.strictObject({ decision: z.enum(paymentExceptionDecisions), reason: reasonText });

export function presentPaymentException(row: PaymentExceptionRow) {
  return {
    id: row.id,
    status: row.status,
    order_id: row.order_id,
    account_id: row.account_id,
    provider: row.provider,
    provider_event_id: row.event_id,
    provider_payment_id: row.provider_payment_id,
    amount_minor_units: row.amount_minor_units?.toString() ?? null,
    currency: row.currency,
    order_status: row.order_status,
    reason: row.reason,
    decision: row.decision,
    decision_reason: row.decision_reason,
    decided_by: row.decided_by,
    decided_at: row.decided_at?.toISOString() ?? null,
    transfer_id: row.transfer_id?.toString() ?? null,
    refund_id: row.refund_id,
    created_at: row.created_at.toISOString(),
  };
}

/** Sends the decision to the exception's workflow; once it has finished, the recorded decision answers. */
async function resolve(client: Client, row: PaymentExceptionRow, request: ResolvePaymentExceptionRequest): Promise<void> {
  try {
    await callWithDeadline(client, () => client.workflow.getHandle(workflowIdOfPaymentException(row.id)).executeUpdate(resolvePaymentExceptionUpdate, { args: [request] }));
    return;
  } catch (error) {
    const apiError = apiErrorFromFailure(error);
    if (apiError !== null) throw apiError;
    if (!isClosedWorkflowError(error)) throw error;
  }
  if (row.decision === request.decision && row.decision_reason === request.reason) return;
  throw new ApiError('payment_exception_already_resolved', `The payment exception was already resolved: ${row.decision ?? 'closed'}.`);
}

/** The resolve route's body, as a function both /admin and the ops console (api/ops/) call: same checks, same codes. */
export function paymentExceptionOpsActions(dependencies: ApiDependencies) {
  const { sql, temporalClient, logger } = dependencies;

  async function exceptionNamed(value: unknown): Promise<PaymentExceptionRow> {
    const row = typeof value === 'string' && exceptionIdPattern.test(value) ? await getPaymentException(sql, value) : null;
    if (row === null) throw new ApiError('not_found', 'No such payment exception.');
    return row;
  }

  return {
    exceptionNamed,
    async resolve(id: unknown, body: unknown, actor: string) {
      const row = await exceptionNamed(id);
      const parsed = parseBody(resolveBody, body);
      await resolve(temporalClient, row, { decision: parsed.decision, reason: parsed.reason, actor });
      logger.info({ paymentExceptionId: row.id, orderId: row.order_id, decision: parsed.decision, actor }, 'ops action');
      return presentPaymentException((await getPaymentException(sql, row.id))!);
    },
  };
}

export function adminPaymentExceptionRoutes(dependencies: ApiDependencies): Router {
  const { sql } = dependencies;
  const router = Router();
  const actions = paymentExceptionOpsActions(dependencies);

  router.get('/admin/payment-exceptions', async (request, response) => {
    const status = parseChoice('status', request.query.status, paymentExceptionStatuses);
    const limit = parseLimit(request.query.limit);
    const afterSequence = decodeRowIdCursor(cursorKind, request.query.cursor);
    const rows = await listPaymentExceptions(sql, { status, afterSequence, limit: limit + 1 });
    response.json(pageOf(rows, limit, presentPaymentException, { kind: cursorKind, position: (row) => row.sequence }));
  });

  router.get('/admin/payment-exceptions/:id', async (request, response) => {
    response.json(presentPaymentException(await actions.exceptionNamed(request.params.id)));
  });

  router.post('/admin/payment-exceptions/:id/resolve', async (request, response) => {
    response.json(await actions.resolve(request.params.id, request.body, operator(request)));
  });

  return router;
}

const paymentExceptionObject = z
  .object({
    id: z.string(),
    status: z.enum(paymentExceptionStatuses),
    order_id: z.string(),
    account_id: z.string(),
    provider: z.string(),
    provider_event_id: z.string(),
    provider_payment_id: z.string().nullable(),
    amount_minor_units: z.string().nullable().meta({ description: 'The payment in the currency\'s minor units (cents, fen), as the provider reported it.' }),
    currency: z.string().nullable(),
    order_status: z.string(),
    reason: z.string(),
    decision: z.enum(paymentExceptionDecisions).nullable(),
    decision_reason: z.string().nullable(),
    decided_by: z.string().nullable(),
    decided_at: timestamp.nullable(),
    transfer_id: z.string().nullable(),
    refund_id: z.string().nullable(),
    created_at: timestamp,
  })
  .meta({ id: 'PaymentException' });

const exceptionIdParameters = idParameter(exceptionIdPattern, 'pex_evt_1QbWxY2eZvKYlo2C');

/** The contract of these routes (api/openapi). */
export const adminPaymentExceptionOperations = defineOperations([
  {
    method: 'get',
    path: '/admin/payment-exceptions',
    operationId: 'listPaymentExceptions',
    summary: 'Payments that reached an order after its workflow closed, oldest first',
    tag: 'Ops: payment exceptions',
    access: 'admin',
    query: listQuery({ status: z.enum(paymentExceptionStatuses).optional() }),
    responses: { 200: { description: 'A page of payment exceptions.', schema: pageSchema(paymentExceptionObject) } },
  },
  {
    method: 'get',
    path: '/admin/payment-exceptions/:id',
    operationId: 'getPaymentException',
    summary: 'One payment exception',
    tag: 'Ops: payment exceptions',
    access: 'admin',
    pathParameters: exceptionIdParameters,
    responses: { 200: { description: 'The payment exception.', schema: paymentExceptionObject } },
  },
  {
    method: 'post',
    path: '/admin/payment-exceptions/:id/resolve',
    operationId: 'resolvePaymentException',
    summary: 'Credit, refund or dismiss a payment exception, once',
    tag: 'Ops: payment exceptions',
    access: 'admin',
    pathParameters: exceptionIdParameters,
    body: { schema: resolveBody, example: { decision: 'refund', reason: 'paid twice' } },
    responses: { 200: { description: 'The exception with its decision.', schema: paymentExceptionObject } },
    errors: ['payment_exception_already_resolved', 'payment_exception_not_refundable'],
  },
]);
