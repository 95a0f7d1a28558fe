// A credited top-up that asked to save its card (save_payment_method): the card it was paid with,
// read from the provider (never from an event), is stored as a saved payment method of the order's own
// account, once: the card's id is the row's key, so a retried credit or a redelivered event stores
// nothing new. The first card of an account becomes its default, as for a setup.
import type { Sql } from '../../db/client.ts';
import { orderSavesPaymentMethod } from '../../db/orders/order-saves-payment-method.ts';
import { storePaymentMethod } from '../../db/payment-methods/store-payment-method.ts';
import type { OrderSnapshot } from '../../domain/orders.ts';
import type { Logger } from '../../observability/logger.ts';
import type { SavedCardProvider } from './saved-cards.ts';

export type SaveCardOutcome = 'not_asked' | 'saved' | 'no_card' | 'failed';

/**
 * Never throws: the credit is already committed, and a card that cannot be read must not turn it into a
 * failed credit. A failure is logged with the order (ops search `card of a top-up not saved`); the
 * customer can still save a card with POST /v1/payment-methods/setup.
 */
export async function saveCardOfOrder(
  dependencies: { sql: Sql; logger: Logger; savedCards: SavedCardProvider | undefined },
  order: OrderSnapshot,
): Promise<SaveCardOutcome> {
  const { sql, logger, savedCards } = dependencies;
  try {
    if (!(await orderSavesPaymentMethod(sql, order.orderId))) return 'not_asked';
    if (savedCards === undefined || order.providerPaymentId === null) {
      logger.error({ orderId: order.orderId, reason: savedCards === undefined ? 'no saved-card provider' : 'no payment id' }, 'card of a top-up not saved');
      return 'failed';
    }
    const card = await savedCards.cardOfPayment(order.providerPaymentId);
    if (card === null) {
      logger.warn({ orderId: order.orderId, providerPaymentId: order.providerPaymentId }, 'card of a top-up not saved: the payment used no card');
      return 'no_card';
    }
    await storePaymentMethod(sql, { id: card.paymentMethodId, accountId: order.accountId, brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear });
    logger.info({ orderId: order.orderId, accountId: order.accountId, paymentMethodId: card.paymentMethodId }, 'payment method saved from a top-up');
    return 'saved';
  } catch (error) {
    logger.error({ orderId: order.orderId, err: error }, 'card of a top-up not saved');
    return 'failed';
  }
}
