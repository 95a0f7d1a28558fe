// Activities that keep the order's durable copy and credit it in the ledger.
import { ApplicationFailure } from '@temporalio/common';
import { creditOrder } from '../db/orders/credit-order.ts';
import { insertOrder, type InsertOrderResult } from '../db/orders/insert-order.ts';
import { saveOrderState } from '../db/orders/save-order-state.ts';
import { LedgerError } from '../db/ledger/post-transfer.ts';
import { formatMicros } from '../domain/money.ts';
import type { OrderSnapshot, TopUpOrderInput } from '../domain/orders.ts';
import type { ActivityDependencies } from './index.ts';

export interface CreditOrderActivityResult {
  creditedAt: string;
  balanceAfter: string;
}

export function createOrderActivities({ sql, logger }: ActivityDependencies) {
  return {
    /** Inserts the order row and reserves its promo code; refused orders leave nothing behind. */
    async recordNewOrder(input: TopUpOrderInput): Promise<InsertOrderResult> {
      const result = await insertOrder(sql, input);
      if (!result.ok) logger.info({ orderId: input.orderId, refusal: result.refusal.code }, 'order refused');
      return result;
    },

    /** Copies the workflow's view of the order to its row (and releases a promo on failure). */
    async saveOrder(snapshot: OrderSnapshot): Promise<void> {
      await saveOrderState(sql, snapshot);
      logger.info({ orderId: snapshot.orderId, status: snapshot.status, needsReview: snapshot.needsReview }, 'order saved');
    },

    /** Posts the order's credit to the ledger, exactly once per order, and marks it succeeded. */
    async creditOrder(snapshot: OrderSnapshot): Promise<CreditOrderActivityResult> {
      try {
        const result = await creditOrder(sql, snapshot);
        logger.info({ orderId: snapshot.orderId, transferId: String(result.transferId) }, 'order credited');
        return { creditedAt: result.creditedAt, balanceAfter: formatMicros(result.balanceAfter) };
      } catch (error) {
        // A refused transfer will be refused again on retry: stop retrying and let a person look.
        if (error instanceof LedgerError) {
          throw ApplicationFailure.nonRetryable(error.message, `ledger_${error.code}`);
        }
        throw error;
      }
    },
  };
}
