// A completed Checkout Session in setup mode: the card it saved is stored for the account that opened
// it (by the session's metadata, checked against the account's provider customer). A redelivery stores
// nothing new. Card details are read from the provider, never from the event, and never the number.
import type { SavedCardProvider } from '../../activities/payments/saved-cards.ts';
import type { Sql } from '../../db/client.ts';
import { findPaymentCustomer } from '../../db/payment-methods/payment-customer.ts';
import { storePaymentMethod } from '../../db/payment-methods/store-payment-method.ts';
import type { StripeEventOutcome } from '../../db/stripe-events/mark-stripe-event.ts';
import type { Logger } from '../../observability/logger.ts';
import type { ValidStripeEvent } from './stripe-event-schema.ts';

/** Whether the event is a completed Checkout Session in setup mode. */
export function isSetupSessionEvent(event: ValidStripeEvent): boolean {
  if (event.checkout?.type !== 'checkout.session.completed') return false;
  const object = (event.payload as { data?: { object?: { mode?: unknown } } }).data?.object;
  return object?.mode === 'setup';
}

function metadataAccountId(event: ValidStripeEvent): string | null {
  const id = event.checkout?.session.metadata?.account_id;
  return typeof id === 'string' && /^acct_[0-9a-z]{24}$/.test(id) ? id : null;
}

export async function handleSetupSessionEvent(
  dependencies: { sql: Sql; logger: Logger; savedCards: SavedCardProvider },
  event: ValidStripeEvent,
): Promise<StripeEventOutcome> {
  const accountId = metadataAccountId(event);
  // An account without a provider customer never opened a setup: nothing to store it for.
  if (accountId === null || (await findPaymentCustomer(dependencies.sql, accountId)) === null) return 'unknown_order';
  const card = await dependencies.savedCards.cardOfSetupSession(event.checkout!.session.id);
  if (card === null) return 'ignored_type';
  const stored = await storePaymentMethod(dependencies.sql, { id: card.paymentMethodId, accountId, brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear });
  dependencies.logger.info({ stripeEventId: event.id, accountId, paymentMethodId: stored.id }, 'payment method saved');
  return 'delivered';
}
