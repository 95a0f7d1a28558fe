// The one table of named failures that cross a process boundary: thrown by workflows and activities as
// an ApplicationFailure whose `type` is the name, and turned by the API into an error code (and so an
// HTTP status, from domain/errors.ts). Every name is listed once here; nothing matches on message text.
// Imports nothing with side effects, so workflow code can import it.
import { ApplicationFailure } from '@temporalio/common';
import type { ErrorCode } from './errors.ts';

interface FailureTypeDefinition {
  /** The API error code a client receives for it; null when it never reaches a client (ops see it). */
  apiErrorCode: ErrorCode | null;
  /** Whether retrying the same call can succeed. Permanent failures stop an activity's retries at once. */
  retryable: false;
  meaning: string;
}

export const failureTypes = {
  // Refusals of a client's or an operator's request, answered through a workflow update.
  idempotency_key_reused: { apiErrorCode: 'idempotency_key_reused', retryable: false, meaning: 'Same Idempotency-Key, another request.' },
  order_not_cancellable: { apiErrorCode: 'order_not_cancellable', retryable: false, meaning: 'Only a pending order can be cancelled.' },
  order_not_resumable: { apiErrorCode: 'order_not_resumable', retryable: false, meaning: 'The order can no longer be paid.' },
  order_not_reviewable: { apiErrorCode: 'order_not_reviewable', retryable: false, meaning: 'A cancelled or expired bank transfer cannot be reviewed.' },
  order_not_in_review: { apiErrorCode: 'order_not_in_review', retryable: false, meaning: 'The order is not waiting for a review decision.' },
  order_already_reviewed: { apiErrorCode: 'order_already_reviewed', retryable: false, meaning: 'Another review decision was taken first.' },
  amount_mismatch: { apiErrorCode: 'amount_mismatch', retryable: false, meaning: 'The amount received is not the pay amount.' },
  payment_exception_already_resolved: {
    apiErrorCode: 'payment_exception_already_resolved',
    retryable: false,
    meaning: 'The payment exception was resolved with another decision.',
  },
  payment_exception_not_refundable: {
    apiErrorCode: 'payment_exception_not_refundable',
    retryable: false,
    meaning: 'The payment exception names no provider payment to refund.',
  },
  // Refunds (workflows/refund.ts): ops' decisions and payouts, and the refund's own permanent failures.
  refund_already_decided: { apiErrorCode: 'refund_already_decided', retryable: false, meaning: 'The refund was approved or rejected already, otherwise.' },
  refund_not_awaiting_payout: { apiErrorCode: 'refund_not_awaiting_payout', retryable: false, meaning: 'The refund is not waiting for a bank payout.' },
  refund_credit_refused: { apiErrorCode: null, retryable: false, meaning: 'The balance no longer covers the credit a refund takes back; the refund fails, nothing taken.' },
  refund_not_succeeded: { apiErrorCode: null, retryable: false, meaning: 'A credit note was asked for a refund that has not succeeded.' },
  // A new order refused while it was being recorded: its promo code ran out meanwhile.
  promo_code_not_found: { apiErrorCode: 'promo_code_not_found', retryable: false, meaning: 'The promo code does not exist.' },
  promo_code_exhausted: { apiErrorCode: 'promo_code_exhausted', retryable: false, meaning: 'The promo code is used up.' },
  promo_code_limit_reached: { apiErrorCode: 'promo_code_limit_reached', retryable: false, meaning: 'The account used the promo code up.' },
  promo_code_expired: { apiErrorCode: 'promo_code_expired', retryable: false, meaning: 'The promo code expired.' },
  promo_code_not_applicable: { apiErrorCode: 'promo_code_not_applicable', retryable: false, meaning: 'The promo code does not apply.' },
  // Permanent failures of activities: the order records the reason, and a person may have to look.
  provider_rejected: {
    apiErrorCode: 'payment_provider_error',
    retryable: false,
    meaning: 'The payment provider refused the call (bad parameters or credentials) and will refuse it again.',
  },
  ledger_refused: { apiErrorCode: null, retryable: false, meaning: 'The ledger refused the transfer (a broken invariant or a bug).' },
  // PostgreSQL refused a statement for a reason a retry cannot change (activities/database-errors.ts).
  invalid_data: {
    apiErrorCode: 'invalid_field',
    retryable: false,
    meaning: 'PostgreSQL refused a value (SQLSTATE class 22: a NUL byte, an untranslatable character, a string too long).',
  },
  retries_exhausted: {
    apiErrorCode: null,
    retryable: false,
    meaning: 'An activity failed through all of its bounded retries (a dependency down for longer than its budget); a person is told.',
  },
  database_refused: {
    apiErrorCode: null,
    retryable: false,
    meaning: 'PostgreSQL refused the statement (a constraint, a missing table or column, a privilege: a bug or a schema out of step).',
  },
  email_rejected: { apiErrorCode: null, retryable: false, meaning: 'The mail server refused the message with a 5xx reply.' },
  email_outcome_unknown: {
    apiErrorCode: null,
    retryable: false,
    meaning: 'An earlier attempt was handing the email to the mail server when it stopped; it is not sent again, and a person checks the mail log.',
  },
  invoice_order_not_credited: { apiErrorCode: null, retryable: false, meaning: 'An invoice was asked for an order that was not credited.' },
  invoice_not_issued: { apiErrorCode: null, retryable: false, meaning: 'An invoice email was asked for before the invoice was issued.' },
  reconciliation_not_configured: { apiErrorCode: null, retryable: false, meaning: 'A worker built without a Temporal client was asked to reconcile an order.' },
  reconciliation_date_invalid: { apiErrorCode: null, retryable: false, meaning: 'A daily reconciliation run was started for a date that is not a YYYY-MM-DD day.' },
} as const satisfies Record<string, FailureTypeDefinition>;

export type FailureType = keyof typeof failureTypes;

export function isFailureType(value: unknown): value is FailureType {
  return typeof value === 'string' && Object.hasOwn(failureTypes, value);
}

/** A permanent, named failure: the thing workflows and activities throw instead of a plain Error. */
export function failure(type: FailureType, message: string, cause?: Error): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, ...(cause === undefined ? {} : { cause }) });
}

/** Wrappers Temporal puts around a failure (update, activity, child workflow) are this deep at most. */
const maximumCauseDepth = 8;

/** The named failure an error carries, looking through the wrappers Temporal adds. */
export function namedFailureOf(error: unknown): { type: FailureType; message: string } | null {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < maximumCauseDepth; depth += 1) {
    if (current instanceof ApplicationFailure && isFailureType(current.type)) return { type: current.type, message: current.message };
    current = current.cause;
  }
  return null;
}

export function failureTypeOf(error: unknown): FailureType | null {
  return namedFailureOf(error)?.type ?? null;
}

/** The failure names an activity must not retry: every permanent one. */
export const permanentFailureTypes: readonly FailureType[] = Object.keys(failureTypes) as FailureType[];
