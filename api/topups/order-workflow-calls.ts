// Calls from the API into order workflows, with their failures turned into API errors by the one table
// of failure types (domain/failures.ts) and by error class, never by message text.
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  isGrpcServiceError,
  type Client,
} from '@temporalio/client';
import type { Sql } from '../../db/client.ts';
import { getOrderRow } from '../../db/orders/get-order.ts';
import { listOrderActions } from '../../db/orders/list-order-actions.ts';
import { snapshotFromRow } from '../../db/orders/order-row.ts';
import { orderStaticDetails, orderSummary } from '../../domain/order-descriptions.ts';
import { ApiError, type ErrorCode } from '../../domain/errors.ts';
import { failureTypes, isFailureType, namedFailureOf } from '../../domain/failures.ts';
import {
  cancelOrderUpdate,
  openCheckoutUpdate,
  orderWorkflowId,
  resolveReviewUpdate,
  resumeOrderUpdate,
  type OrderRequest,
  type OrderSnapshot,
  type ResolveReviewRequest,
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
import { termsInMicros } from '../../domain/orders.ts';
import { isTemporalUnavailable } from '../temporal-unavailable.ts';

/** The API error a workflow's named failure maps to, or null when it has none (then it is unexpected). */
export function apiErrorFromFailure(error: unknown): ApiError | null {
  const named = namedFailureOf(error);
  const code = named === null ? null : failureTypes[named.type].apiErrorCode;
  return code === null ? null : new ApiError(code, named!.message);
}

/** The API error of an order its workflow refused (the promo code ran out while it was recorded). */
export function apiErrorFromRefusal(code: string, message: string): ApiError {
  const errorCode = isFailureType(code) ? failureTypes[code].apiErrorCode : null;
  if (errorCode === null) return new ApiError('internal_error', message);
  return new ApiError(errorCode, message, errorCode.startsWith('promo_code_') ? 'promo_code' : undefined);
}

/** gRPC status codes (google.rpc.Code) that mean the workflow is closed, or was never started. */
const grpcNotFound = 5;
const grpcAlreadyExists = 6;

/** Whether a call failed because the workflow has finished (or never existed): typed checks only. */
export function isClosedWorkflowError(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 8; depth += 1) {
    if (current instanceof WorkflowNotFoundError || current instanceof WorkflowExecutionAlreadyStartedError) return true;
    if (isGrpcServiceError(current) && (current.code === grpcNotFound || current.code === grpcAlreadyExists)) return true;
    current = current.cause;
  }
  return false;
}

/**
 * How long a call into an order's workflow waits for a worker to answer. A worker that is running
 * answers in milliseconds; none polling (all crashed, or a deployment in progress) must not hold the
 * request open: the caller hears 503 and retries. ORDER_START_TIMEOUT_SECONDS sets it for new orders.
 */
export const defaultOrderCallTimeoutMilliseconds = 10_000;

/** The 503 of a call no worker answered in time (or that Temporal could not take now). */
function notTakenInTime(timeoutMilliseconds: number, cause: unknown): ApiError {
  return new ApiError(
    'service_unavailable',
    `The order's workflow did not answer within ${Math.round(timeoutMilliseconds / 1000)} s; retry shortly with the same Idempotency-Key.`,
    undefined,
    { cause },
  );
}

/**
 * Runs a call into a workflow (an update: it waits for a worker) under a deadline; no answer in time,
 * or Temporal unable to take it now, is a 503 that the caller may retry. Refusals and closed workflows
 * come through as they are, for the caller to map.
 */
export async function callWithDeadline<Result>(client: Client, call: () => Promise<Result>, timeoutMilliseconds = defaultOrderCallTimeoutMilliseconds): Promise<Result> {
  try {
    return await client.withDeadline(Date.now() + timeoutMilliseconds, call);
  } catch (error) {
    if (namedFailureOf(error) === null && isTemporalUnavailable(error)) throw notTakenInTime(timeoutMilliseconds, error);
    throw error;
  }
}

/** Rethrows a workflow call's failure as its API error, or as itself when it is not a refusal. */
function rethrowAsApiError(error: unknown): never {
  const apiError = apiErrorFromFailure(error);
  throw apiError ?? error;
}

export type StartOrderResult =
  | { kind: 'open'; order: OrderSnapshot }
  /** The workflow has already finished: the caller reads the order from the database instead. */
  | { kind: 'closed'; result: TopUpOrderResult | null };

/**
 * Starts the order's workflow (or joins it, when this is a retry of the same request) and waits until
 * the order is recorded and can be paid. Every order workflow answers the same openCheckout update, so a
 * request that races another payment method's under the same Idempotency-Key is refused by either one.
 * A refused order (promo code used up meanwhile) throws its ApiError.
 */
export async function startOrderWorkflow(
  client: Client,
  taskQueue: string,
  workflowType: string,
  input: OrderRequest,
  timeoutMilliseconds = defaultOrderCallTimeoutMilliseconds,
): Promise<StartOrderResult> {
  const workflowId = orderWorkflowId(input.orderId);
  const startWorkflowOperation = new WithStartWorkflowOperation(workflowType, {
    workflowId,
    taskQueue,
    args: [input],
    // A retry joins the running workflow; a finished order is never started again.
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    // What the Temporal UI shows of the order before it opens it; the workflow keeps its current details.
    staticSummary: orderSummary(input),
    staticDetails: orderStaticDetails(input),
    typedSearchAttributes: [
      { key: orderStatusKey, value: 'pending' },
      { key: accountIdKey, value: input.accountId },
      { key: paymentMethodKey, value: input.terms.paymentMethod },
      { key: currencyKey, value: input.terms.currency },
      { key: amountMicrosKey, value: Number(termsInMicros(input.terms).amountMicros) },
      { key: needsReviewKey, value: false },
    ],
  });
  try {
    // Without a deadline the update waits for as long as no worker polls; with it, the client hears
    // 503 and retries with the same Idempotency-Key, which joins the same workflow (or finds its row).
    const order = await callWithDeadline(
      client,
      () => client.workflow.executeUpdateWithStart(openCheckoutUpdate, { args: [{ requestHash: input.requestHash }], startWorkflowOperation }),
      timeoutMilliseconds,
    );
    return { kind: 'open', order };
  } catch (error) {
    const named = namedFailureOf(error);
    if (named !== null && failureTypes[named.type].apiErrorCode !== null) throw apiErrorFromRefusal(named.type, named.message);
    if (!isClosedWorkflowError(error)) throw error;
  }
  const result: TopUpOrderResult = await client.workflow.getHandle(workflowId).result();
  return { kind: 'closed', result };
}

/** Sends an update to an order; a finished workflow means the order is past the update's reach. */
async function updateOrder(
  client: Client,
  orderId: string,
  update: typeof cancelOrderUpdate | typeof resumeOrderUpdate,
  closedCode: ErrorCode,
): Promise<OrderSnapshot> {
  try {
    return await callWithDeadline(client, () => client.workflow.getHandle(orderWorkflowId(orderId)).executeUpdate(update));
  } catch (error) {
    if (isClosedWorkflowError(error)) throw new ApiError(closedCode, 'The order has already finished.');
    rethrowAsApiError(error);
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
 * again (as recorded) returns the order; anything else is refused: a payment that arrives after its
 * order closed is a payment exception (/admin/payment-exceptions), resolved there.
 */
export async function resolveHeldPayment(client: Client, sql: Sql, orderId: string, request: ResolveReviewRequest): Promise<OrderSnapshot> {
  try {
    return await callWithDeadline(client, () => client.workflow.getHandle(orderWorkflowId(orderId)).executeUpdate(resolveReviewUpdate, { args: [request] }));
  } catch (error) {
    if (!isClosedWorkflowError(error)) rethrowAsApiError(error);
  }
  const recorded = (await listOrderActions(sql, orderId)).find((action) => action.action === 'resolve_review');
  const row = await getOrderRow(sql, orderId, null);
  if (recorded !== undefined && row !== null && recorded.payload.decision === request.decision && recorded.reason === request.reason) {
    return snapshotFromRow(row);
  }
  if (recorded !== undefined) throw new ApiError('order_already_reviewed', 'The payment was already resolved otherwise.');
  throw new ApiError('order_not_in_review', 'The order has finished and holds no payment; late payments are payment exceptions.');
}
