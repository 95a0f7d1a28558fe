// Calls from the API into bank transfer order workflows: starting one, and ops' review actions, with
// their failures turned into API errors. Once a workflow has finished, an ops action is judged against
// the order's durable copy by the same rule the workflow applies, so a repeat still returns the order.
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Sql } from '../../db/client.ts';
import { getOrderRow } from '../../db/orders/get-order.ts';
import { listOrderActions, type OrderActionRow } from '../../db/orders/list-order-actions.ts';
import { snapshotFromRow } from '../../db/orders/order-row.ts';
import {
  confirmTransferUpdate,
  judgeOpsAction,
  rejectTransferUpdate,
  startReviewUpdate,
  type OpsRequest,
  type ReviewDecision,
} from '../../domain/bank-transfers.ts';
import { ApiError, type ErrorCode } from '../../domain/errors.ts';
import { formatMicros } from '../../domain/money.ts';
import { orderWorkflowId, type OrderSnapshot } from '../../domain/orders.ts';
import { apiErrorFromFailure, callWithDeadline, isClosedWorkflowError } from './order-workflow-calls.ts';

/** Fields named by the ops errors that are about one field of the request. */
const fieldOfFailure: Partial<Record<ErrorCode, string>> = { amount_mismatch: 'amount_received' };

function withField(error: ApiError): ApiError {
  const field = fieldOfFailure[error.code];
  return field === undefined ? error : new ApiError(error.code, error.message, field);
}

function sendOpsUpdate(handle: WorkflowHandle, request: OpsRequest): Promise<OrderSnapshot> {
  switch (request.action) {
    case 'start_review':
      return handle.executeUpdate(startReviewUpdate, { args: [request] });
    case 'confirm_transfer':
      return handle.executeUpdate(confirmTransferUpdate, { args: [request] });
    case 'reject_transfer':
      return handle.executeUpdate(rejectTransferUpdate, { args: [request] });
  }
}

/** Applies an ops action to a bank transfer order; returns the order, or throws the refusal as an ApiError. */
export async function applyOpsAction(client: Client, sql: Sql, orderId: string, request: OpsRequest): Promise<OrderSnapshot> {
  try {
    return await callWithDeadline(client, () => sendOpsUpdate(client.workflow.getHandle(orderWorkflowId(orderId)), request));
  } catch (error) {
    const apiError = apiErrorFromFailure(error);
    if (apiError !== null) throw withField(apiError);
    if (!isClosedWorkflowError(error)) throw error;
  }
  return judgeFinishedOrder(sql, orderId, request);
}

/** The workflow has finished (or is past retention): the order row and its recorded actions decide. */
async function judgeFinishedOrder(sql: Sql, orderId: string, request: OpsRequest): Promise<OrderSnapshot> {
  const row = await getOrderRow(sql, orderId, null);
  if (row === null) throw new ApiError('not_found', 'No such order.');
  const verdict = judgeOpsAction(
    { status: row.status, payAmount: formatMicros(row.pay_amount_micros), currency: row.currency, decision: recordedDecision(await listOrderActions(sql, orderId)) },
    request,
  );
  if (verdict.kind === 'repeat') return snapshotFromRow(row);
  if (verdict.kind === 'refuse') throw withField(new ApiError(verdict.code, verdict.message));
  // Open orders always have a running workflow; one without is a fault for a person to look at.
  throw new Error(`order ${orderId} is ${row.status} but its workflow has finished`);
}

/** The confirmation or rejection recorded for an order, as the workflow had accepted it. */
export function recordedDecision(actions: OrderActionRow[]): ReviewDecision | null {
  for (const action of actions) {
    if (action.action === 'confirm_transfer') {
      return {
        action: 'confirm_transfer',
        actor: action.actor,
        amountReceived: action.payload.amount_received ?? '0.000000',
        bankReference: action.payload.bank_reference ?? '',
        correctedCredit: action.payload.corrected_credit ?? null,
        reason: action.reason,
      };
    }
    if (action.action === 'reject_transfer') {
      return { action: 'reject_transfer', actor: action.actor, reason: action.reason ?? '' };
    }
  }
  return null;
}
