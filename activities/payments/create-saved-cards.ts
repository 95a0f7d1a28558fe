// Chooses the saved-card provider from the configuration, as worker/payment-provider.ts chooses the
// checkout provider: Stripe with a key, the sandbox without (never in production).
import type { Config } from '../../config/config.ts';
import type { Sql } from '../../db/client.ts';
import { createSandboxSavedCards } from './sandbox-saved-cards.ts';
import type { SavedCardProvider } from './saved-cards.ts';
import { createStripeSavedCards } from './stripe-saved-cards.ts';
import { createStripeClient } from './stripe-provider.ts';

export function createSavedCardProvider(config: Config, sql: Sql): SavedCardProvider {
  if (config.stripe.mode === 'stripe') return createStripeSavedCards(createStripeClient(config.stripe));
  if (config.environment === 'production') throw new Error('the sandbox payment provider does not run when REFILL_ENV is production');
  // A getter: tests set the public base URL once the server listens.
  return createSandboxSavedCards(sql, config.api);
}
