// Bank transfer orders, as the API, the workflow and the activities all see them: the workflow's input,
// the ops updates and the one rule that decides what an ops action does. Imports nothing with side
// effects, so workflow code can import it.
//
// Glossary (with domain/orders.ts)
// - payee account: the company's bank account the customer transfers to, copied into the order.
// - remitter: the person or company the customer says the transfer comes from, and their bank.
// - transfer reference: RF-7KQ4-M2XP, written by the customer in the transfer's note (domain/transfer-references.ts).
// - deadline: the end of the Nth business day after the order's day; a pending order expires then.
// - review: ops have found (or are looking for) the transfer; the order is `processing` and the
//   customer can no longer cancel it. It ends with a confirmation (credit) or a rejection (failed).
// - corrected credit: a credit other than the quote's, when the amount received differs; needs a reason.
// - order action: one recorded step by a person (start review, confirm, reject, cancel); at most one
//   of each kind per order.
import { defineUpdate } from '@temporalio/workflow';
import { formatMicrosForPeople, microsFromDecimal, type Currency } from './money.ts';
import { orderStatusPhrase } from './order-status-text.ts';
import type { OrderRequest, OrderSnapshot, OrderStatus } from './orders.ts';

/** Beijing time: CNY transfers are made to a bank in China, whose business days these are. */
export const bankTransferUtcOffsetMinutes = 8 * 60;

export interface PayeeAccount {
  bankName: string;
  accountName: string;
  accountNumber: string;
}

export interface Remitter {
  name: string;
  bankName: string;
  remarks: string | null;
}

export interface BankTransferOrderInput extends OrderRequest {
  payee: PayeeAccount;
  remitter: Remitter;
  /** Whole business days the customer has after the day of the order; the workflow computes the deadline. */
  deadlineBusinessDays: number;
  /** The offset business days are counted in (bankTransferUtcOffsetMinutes in production). */
  utcOffsetMinutes: number;
}

/** What the workflow asks the database to record: the input with the deadline it computed. */
export interface BankTransferOrderRecord extends BankTransferOrderInput {
  /** ISO timestamp. */
  expiresAt: string;
}

export { customerActor, orderActions, type OrderAction } from './order-actions.ts';

export interface StartReviewRequest {
  action: 'start_review';
  actor: string;
}

export interface ConfirmTransferRequest {
  action: 'confirm_transfer';
  actor: string;
  /** Six-decimal strings. */
  amountReceived: string;
  /** The bank's own reference of the incoming transfer, from the statement. */
  bankReference: string;
  /** Null to credit the quote; otherwise what to credit instead, with a reason. */
  correctedCredit: string | null;
  reason: string | null;
}

export interface RejectTransferRequest {
  action: 'reject_transfer';
  actor: string;
  /** Shown to the customer in the order's failure_reason and in the email. */
  reason: string;
}

export type OpsRequest = StartReviewRequest | ConfirmTransferRequest | RejectTransferRequest;
export type ReviewDecision = ConfirmTransferRequest | RejectTransferRequest;

export const startReviewUpdate = defineUpdate<OrderSnapshot, [StartReviewRequest]>('startReview');
export const confirmTransferUpdate = defineUpdate<OrderSnapshot, [ConfirmTransferRequest]>('confirmTransfer');
export const rejectTransferUpdate = defineUpdate<OrderSnapshot, [RejectTransferRequest]>('rejectTransfer');

/** Named failures of the ops updates; each is also an API error code. */
export const bankTransferFailureTypes = {
  notReviewable: 'order_not_reviewable',
  notInReview: 'order_not_in_review',
  alreadyReviewed: 'order_already_reviewed',
  amountMismatch: 'amount_mismatch',
} as const;
export type BankTransferFailureType = (typeof bankTransferFailureTypes)[keyof typeof bankTransferFailureTypes];

/** What an order looks like to the rule below: the workflow's state, or its durable copy once it has finished. */
export interface ReviewState {
  status: OrderStatus;
  payAmount: string;
  /** For the amounts in a refusal's message; absent where the caller does not know it (then USD's two decimals). */
  currency?: Currency;
  /** The confirmation or rejection already taken (or being carried out), if any. */
  decision: ReviewDecision | null;
}

export type OpsVerdict =
  /** Carry the action out. */
  | { kind: 'apply' }
  /** Already done, with the same content: change nothing and return the order. */
  | { kind: 'repeat' }
  | { kind: 'refuse'; code: BankTransferFailureType; message: string };

/** Whether two decisions are the same one (whoever took them). */
export function sameDecision(a: ReviewDecision, b: ReviewDecision): boolean {
  if (a.action === 'reject_transfer' || b.action === 'reject_transfer') {
    return a.action === b.action && a.reason === b.reason;
  }
  return (
    microsFromDecimal(a.amountReceived) === microsFromDecimal(b.amountReceived) &&
    a.bankReference === b.bankReference &&
    (a.correctedCredit === null) === (b.correctedCredit === null) &&
    (a.correctedCredit === null || microsFromDecimal(a.correctedCredit) === microsFromDecimal(b.correctedCredit!))
  );
}

/**
 * The one rule for ops actions, used by the workflow's update validators and by the API once the workflow
 * has finished: each action is applied once, repeated without effect, or refused with a named reason.
 */
export function judgeOpsAction(state: ReviewState, request: OpsRequest): OpsVerdict {
  const people = (amount: string) =>
    `${formatMicrosForPeople(microsFromDecimal(amount), state.currency ?? 'USD')}${state.currency === undefined ? '' : ` ${state.currency}`}`;
  if (request.action === 'start_review') {
    if (state.status === 'pending') return { kind: 'apply' };
    // Processing, succeeded and failed bank transfer orders have all been through review.
    if (state.status === 'cancelled' || state.status === 'expired') {
      return refuse('notReviewable', `The order ${orderStatusPhrase(state.status)}; there is nothing to review.`);
    }
    return { kind: 'repeat' };
  }
  if (state.decision !== null) {
    if (sameDecision(state.decision, request)) return { kind: 'repeat' };
    const taken = state.decision.action === 'confirm_transfer' ? 'confirmed' : 'rejected';
    return refuse('alreadyReviewed', `The transfer was already ${taken} with other details.`);
  }
  if (state.status !== 'processing') {
    const hint = state.status === 'pending' ? ' Start the review first.' : '';
    return refuse('notInReview', `The order ${orderStatusPhrase(state.status)}; it is not in review.${hint}`);
  }
  if (
    request.action === 'confirm_transfer' &&
    request.correctedCredit === null &&
    microsFromDecimal(request.amountReceived) !== microsFromDecimal(state.payAmount)
  ) {
    return refuse(
      'amountMismatch',
      `Received ${people(request.amountReceived)}, but the order's pay amount is ${people(state.payAmount)}. ` +
        'Confirm with corrected_credit and a reason to credit it anyway.',
    );
  }
  return { kind: 'apply' };
}

function refuse(type: keyof typeof bankTransferFailureTypes, message: string): OpsVerdict {
  return { kind: 'refuse', code: bankTransferFailureTypes[type], message };
}
