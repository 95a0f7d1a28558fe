// Activities that create an order's row, write the workflow's state to it, and credit it in the ledger.
// Money arrives as the payload's decimal strings and is converted once, here, for the database.
import { LedgerError } from '../db/ledger/post-transfer.ts';
import { creditOrder } from '../db/orders/credit-order.ts';
import { insertOrder, type InsertOrderResult, type NewOrder } from '../db/orders/insert-order.ts';
import { saveOrderState } from '../db/orders/save-order-state.ts';
import { failure } from '../domain/failures.ts';
import { formatMicros, microsFromDecimal } from '../domain/money.ts';
import { termsInMicros, type OrderRequest, type OrderSnapshot, type OrderStatus, type StripeCheckoutOrderInput } from '../domain/orders.ts';
import { orderTransitions, paymentToCredit } from '../observability/metrics.ts';
import type { CreditCommand } from '../workflows/order-machine.ts';
import type { ActivityDependencies } from './index.ts';
import { saveCardOfOrder } from './payments/save-card-of-order.ts';

export interface PostOrderCreditResult {
  /** ISO timestamp of the credit's transfer. */
  creditedAt: string;
  /** The balance right after the credit, a six-decimal string. */
  balanceAfter: string;
}

/** The row fields every new order starts with, from the workflow's input. */
export function newOrderRow(input: OrderRequest & { expiresAt: string }): NewOrder {
  return {
    orderId: input.orderId,
    accountId: input.accountId,
    idempotencyKey: input.idempotencyKey,
    requestHash: input.requestHash,
    paymentMethod: input.terms.paymentMethod,
    packageId: input.terms.packageId,
    promoCode: input.terms.promoCode,
    terms: termsInMicros(input.terms),
    expiresAt: input.expiresAt,
    createdAt: input.createdAt,
  };
}

/** A saved status other than the row's before is one transition (a retried save is not counted again). */
function countOrderTransition(state: OrderSnapshot, previousStatus: OrderStatus | null): void {
  if (previousStatus === null || previousStatus === state.status) return;
  orderTransitions.inc({ payment_method: state.terms.paymentMethod, from: previousStatus, to: state.status });
}

/** The credit's transition, and how long the payment waited for it. */
function countCredit(order: OrderSnapshot, creditedAt: Date, previousStatus: OrderStatus | null): void {
  countOrderTransition(order, previousStatus);
  if (order.paidAt === null) return;
  paymentToCredit.observe({ payment_method: order.terms.paymentMethod }, Math.max(0, (creditedAt.getTime() - Date.parse(order.paidAt)) / 1000));
}

export function createOrderActivities({ sql, logger, savedCards }: ActivityDependencies) {
  return {
    /** Inserts the order row and reserves its promo code; refused orders leave nothing behind. */
    async recordNewOrder(input: StripeCheckoutOrderInput): Promise<InsertOrderResult> {
      const result = await insertOrder(sql, { ...newOrderRow(input), successUrl: input.successUrl, cancelUrl: input.cancelUrl, savePaymentMethod: input.saveCard !== undefined });
      if (!result.ok) logger.info({ orderId: input.orderId, refusal: result.refusal.code }, 'order refused');
      else orderTransitions.inc({ payment_method: input.terms.paymentMethod, from: 'none', to: 'pending' });
      return result;
    },

    /** Writes the workflow's state of the order to its row (and releases a promo on failure). */
    async saveOrder(state: OrderSnapshot): Promise<void> {
      const { previousStatus } = await saveOrderState(sql, state);
      countOrderTransition(state, previousStatus);
      logger.info({ orderId: state.orderId, status: state.status, needsReview: state.needsReview }, 'order saved');
    },

    /** Posts the order's credit and saves it succeeded, in one transaction, exactly once per order. */
    async postOrderCredit(command: CreditCommand): Promise<PostOrderCreditResult> {
      const order = command.succeeded;
      const terms = termsInMicros(order.terms);
      const correction = command.correction;
      try {
        const result = await creditOrder(sql, {
          succeeded: order,
          payAmountMicros: correction === null ? terms.payAmountMicros : microsFromDecimal(correction.amountReceived),
          creditMicros: correction === null ? terms.creditMicros : microsFromDecimal(correction.correctedCredit),
          metadata:
            correction === null
              ? null
              : {
                  amount_received: correction.amountReceived,
                  quoted_credit: order.terms.credit,
                  corrected_credit: correction.correctedCredit,
                  correction_reason: correction.reason,
                },
        });
        logger.info({ orderId: order.orderId, transferId: String(result.transferId), corrected: correction !== null }, 'order credited');
        if (result.previousStatus !== 'succeeded') countCredit(order, result.creditedAt, result.previousStatus);
        await saveCardOfOrder({ sql, logger, savedCards }, order);
        return { creditedAt: result.creditedAt.toISOString(), balanceAfter: formatMicros(result.balanceAfterMicros) };
      } catch (error) {
        // A refused transfer will be refused again on retry: stop retrying and let a person look.
        if (error instanceof LedgerError) throw failure('ledger_refused', `${error.code}: ${error.message}`, error);
        throw error;
      }
    },
  };
}
