// What every order workflow shares: its database activities, its first snapshot, the check that a
// repeated creation is the same request, and the durable record of its state (row and search attributes).
// Deterministic orchestration only.
import { ApplicationFailure, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.ts';
import { orderFailureTypes, type OrderSnapshot, type OrderStatus, type OrderTerms } from '../domain/orders.ts';
import { needsReviewKey, orderStatusKey } from '../domain/search-attributes.ts';

/** Database activities: retried with backoff for about an hour and a half before a person must look. */
export const databaseActivities = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 100 },
});

/** A new order's snapshot: pending, nothing paid, nothing credited. */
export function newOrderSnapshot(order: {
  orderId: string;
  accountId: string;
  terms: OrderTerms;
  expiresAt: string;
  createdAt: string;
}): OrderSnapshot {
  return {
    orderId: order.orderId,
    accountId: order.accountId,
    status: 'pending',
    terms: order.terms,
    checkoutSessionId: null,
    checkoutUrl: null,
    expiresAt: order.expiresAt,
    createdAt: order.createdAt,
    paidAt: null,
    creditedAt: null,
    receiptUrl: null,
    providerPaymentId: null,
    needsReview: false,
    reviewReason: null,
    failureReason: null,
    bankTransfer: null,
    invoiceNumber: null,
  };
}

/** The openCheckout validator: the same Idempotency-Key with a different request is refused. */
export function requireSameRequest(expectedRequestHash: string, requestHash: string): void {
  if (requestHash !== expectedRequestHash) {
    throw ApplicationFailure.nonRetryable(
      'This Idempotency-Key was already used with a different request.',
      orderFailureTypes.idempotencyKeyReused,
    );
  }
}

export interface OrderRecord {
  /** True once every change so far is in the database: update handlers answer only then. */
  isSaved(): boolean;
  /** Writes the order's current state to its row and its search attributes. */
  save(): Promise<void>;
  changeStatus(status: OrderStatus, failureReason?: string | null): Promise<void>;
}

/** Keeps an order's durable copy in step with the workflow's state. */
export function orderRecord(order: OrderSnapshot): OrderRecord {
  // Bumped by every change; `saved` catches up once the change is in the database.
  let version = 0;
  let saved = 0;
  async function save(): Promise<void> {
    version += 1;
    const current = version;
    upsertSearchAttributes([
      { key: orderStatusKey, value: order.status },
      { key: needsReviewKey, value: order.needsReview },
    ]);
    await databaseActivities.saveOrder({ ...order });
    saved = Math.max(saved, current);
  }
  return {
    isSaved: () => saved === version,
    save,
    async changeStatus(status: OrderStatus, failureReason: string | null = null): Promise<void> {
      order.status = status;
      if (failureReason !== null) order.failureReason = failureReason;
      await save();
    },
  };
}
