// Calls from the API into order workflows, with their failures turned into API errors.
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure, type Workflow } from '@temporalio/common';
import type { Sql } from '../../db/client.ts';
import { getOrderRow } from '../../db/orders/get-order.ts';
import { listOrderActions } from '../../db/orders/list-order-actions.ts';
import { snapshotFromRow } from '../../db/orders/order-row.ts';
import { ApiError, errorCodes, type ErrorCode } from '../../domain/errors.ts';
import {
  cancelOrderUpdate,
  openCheckoutUpdate,
  orderWorkflowId,
  resolveReviewUpdate,
  resumeOrderUpdate,
  type OrderSnapshot,
  type ResolveReviewRequest,
  type TopUpOrderInput,
  type TopUpOrderResult,
} from '../../domain/orders.ts';
import {
  accountIdKey,
  amountMicrosKey,
  currencyKey,
  needsReviewKey,
  orderStatusKey,
  paymentMethodKey,
} from '../../domain/search-attributes.ts';
import { microsFromDecimal } from '../../domain/money.ts';
import type { BankTransferOrderInput } from '../../domain/bank-transfers.ts';
import { bankTransferOrderWorkflow } from '../../workflows/bank-transfer-order.ts';
import { topUpOrderWorkflow } from '../../workflows/topup-order.ts';

/** The failure types a workflow update may carry that are also API error codes. */
export function apiErrorFromUpdateFailure(error: WorkflowUpdateFailedError): ApiError | null {
  const cause = error.cause;
  if (cause instanceof ApplicationFailure && cause.type !== undefined && cause.type !== null && cause.type in errorCodes) {
    return new ApiError(cause.type as ErrorCode, cause.message);
  }
  return null;
}

export type StartOrderResult =
  | { kind: 'open'; order: OrderSnapshot }
  /** The workflow has already finished: the caller reads the order from the database instead. */
  | { kind: 'closed'; result: TopUpOrderResult | null };

/** The order workflows, and the input each is started with. */
export type OrderWorkflowStart =
  | { workflow: typeof topUpOrderWorkflow; input: TopUpOrderInput }
  | { workflow: typeof bankTransferOrderWorkflow; input: BankTransferOrderInput };

/**
 * Starts the order's workflow (or joins it, when this is a retry of the same request) and waits until
 * the order is recorded and can be paid. Every order workflow answers the same openCheckout update, so a
 * request that races another payment method's under the same Idempotency-Key is refused by either one.
 * A refused order (promo code used up meanwhile) throws its ApiError.
 */
export async function startOrderWorkflow(client: Client, taskQueue: string, start: OrderWorkflowStart): Promise<StartOrderResult> {
  const { input } = start;
  const workflowId = orderWorkflowId(input.orderId);
  const options = {
    workflowId,
    taskQueue,
    // A retry joins the running workflow; a finished order is never started again.
    workflowIdConflictPolicy: 'USE_EXISTING' as const,
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    typedSearchAttributes: [
      { key: orderStatusKey, value: 'pending' },
      { key: accountIdKey, value: input.accountId },
      { key: paymentMethodKey, value: input.terms.paymentMethod },
      { key: currencyKey, value: input.terms.currency },
      { key: amountMicrosKey, value: Number(microsFromDecimal(input.terms.amount)) },
      { key: needsReviewKey, value: false },
    ],
  };
  const startWorkflowOperation: WithStartWorkflowOperation<Workflow> =
    start.workflow === topUpOrderWorkflow
      ? new WithStartWorkflowOperation(topUpOrderWorkflow, { ...options, args: [start.input as TopUpOrderInput] })
      : new WithStartWorkflowOperation(bankTransferOrderWorkflow, { ...options, args: [start.input as BankTransferOrderInput] });
  try {
    const order = await client.workflow.executeUpdateWithStart(openCheckoutUpdate, {
      args: [{ requestHash: input.requestHash }],
      startWorkflowOperation,
    });
    return { kind: 'open', order };
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      const apiError = apiErrorFromUpdateFailure(error);
      if (apiError !== null) throw apiError;
    }
    if (!(error instanceof WorkflowExecutionAlreadyStartedError) && !isClosedWorkflowError(error)) throw error;
  }
  const result: TopUpOrderResult = await client.workflow.getHandle(workflowId).result();
  if (result.outcome === 'rejected' && result.code in errorCodes) {
    throw new ApiError(result.code as ErrorCode, result.message, 'promo_code');
  }
  return { kind: 'closed', result };
}

/** Whether an update failed because the workflow had already finished. */
export function isClosedWorkflowError(error: unknown): boolean {
  if (error instanceof WorkflowNotFoundError) return true;
  const message = error instanceof Error ? error.message : '';
  return /already completed|workflow execution already finished/i.test(message);
}

/** Sends an update to an order; a finished workflow means the order is past the update's reach. */
async function updateOrder(
  client: Client,
  orderId: string,
  update: typeof cancelOrderUpdate | typeof resumeOrderUpdate,
  closedCode: ErrorCode,
): Promise<OrderSnapshot> {
  try {
    return await client.workflow.getHandle(orderWorkflowId(orderId)).executeUpdate(update);
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      const apiError = apiErrorFromUpdateFailure(error);
      if (apiError !== null) throw apiError;
    }
    if (isClosedWorkflowError(error)) throw new ApiError(closedCode, 'The order has already finished.');
    throw error;
  }
}

export function cancelOrder(client: Client, orderId: string): Promise<OrderSnapshot> {
  return updateOrder(client, orderId, cancelOrderUpdate, 'order_not_cancellable');
}

export function resumeOrder(client: Client, orderId: string): Promise<OrderSnapshot> {
  return updateOrder(client, orderId, resumeOrderUpdate, 'order_not_resumable');
}

/**
 * Ops' decision on a Stripe payment held for review. Once the workflow has finished, the same decision
 * again (as recorded) returns the order; anything else is refused: a payment flagged after its order
 * closed is refunded at the provider or corrected with a ledger adjustment, outside this route.
 */
export async function resolveHeldPayment(
  client: Client,
  sql: Sql,
  orderId: string,
  request: ResolveReviewRequest,
): Promise<OrderSnapshot> {
  try {
    return await client.workflow.getHandle(orderWorkflowId(orderId)).executeUpdate(resolveReviewUpdate, { args: [request] });
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      const apiError = apiErrorFromUpdateFailure(error);
      if (apiError !== null) throw apiError;
    }
    if (!isClosedWorkflowError(error)) throw error;
  }
  const recorded = (await listOrderActions(sql, orderId)).find((action) => action.action === 'resolve_review');
  const row = await getOrderRow(sql, orderId, null);
  if (recorded !== undefined && row !== null && recorded.payload.decision === request.decision && recorded.reason === request.reason) {
    return snapshotFromRow(row);
  }
  if (recorded !== undefined) throw new ApiError('order_already_reviewed', 'The payment was already resolved otherwise.');
  throw new ApiError('order_not_in_review', 'The order\'s workflow has finished; refund the payment at the provider or post an adjustment.');
}
