// The JSON fields of a log line that reaches pino through the Temporal SDK (workflow `log`, activity
// `log`, the worker's and Core's own lines). The SDK's metadata (workflowId, runId, workflowType,
// activityType, taskQueue, namespace, sdkComponent…) becomes fields as it is, plus the order id, so an
// order's SDK lines are found by the same field as the API's and the activities' lines.
import type { LogMetadata } from '@temporalio/common';
import { pino } from 'pino';

/**
 * The prefix of an order workflow's id. Order workflows are started with the id `topup-<orderId>`
 * (orderWorkflowId in domain/orders.ts, for Stripe and bank transfer orders alike).
 */
const orderWorkflowIdPrefix = 'topup-';

/**
 * The order id inside an order workflow's id, `topup-<orderId>` (see orderWorkflowId in
 * domain/orders.ts); null for any other workflow id, which belongs to no order.
 */
export function orderIdFromWorkflowId(workflowId: string): string | null {
  if (!workflowId.startsWith(orderWorkflowIdPrefix)) return null;
  const orderId = workflowId.slice(orderWorkflowIdPrefix.length);
  return orderId === '' ? null : orderId;
}

/** The SDK's metadata for a log line as JSON fields, with `orderId` when the workflow is an order's. */
export function temporalLogFields(meta: LogMetadata | undefined): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  // Object.entries skips symbol keys: the SDK's timestamp travels under one and is not a JSON field.
  for (const [key, value] of Object.entries(meta ?? {})) {
    if (value !== undefined) fields[key] = jsonValue(value);
  }
  const orderId = typeof fields.workflowId === 'string' ? orderIdFromWorkflowId(fields.workflowId) : null;
  if (orderId !== null) fields.orderId = orderId;
  return fields;
}

function jsonValue(value: unknown): unknown {
  // pino writes a bigint as a JSON number, which loses digits past 2^53; a string keeps them all.
  if (typeof value === 'bigint') return value.toString();
  // pino serializes an Error only under `err`; the SDK puts them under `error` and `failure` too.
  if (value instanceof Error) return pino.stdSerializers.err(value);
  return value;
}
