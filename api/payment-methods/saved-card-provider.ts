// The API's saved-card provider: one per configuration, built on first use, so the routes and the
// webhook share it and createApp stays free of I/O.
import { createSavedCardProvider } from '../../activities/payments/create-saved-cards.ts';
import type { SavedCardProvider } from '../../activities/payments/saved-cards.ts';
import { findPaymentCustomer, storePaymentCustomer } from '../../db/payment-methods/payment-customer.ts';
import type { Config } from '../../config/config.ts';
import type { Sql } from '../../db/client.ts';

const providers = new WeakMap<Config, SavedCardProvider>();

export function savedCardProvider(config: Config, sql: Sql): SavedCardProvider {
  let provider = providers.get(config);
  if (provider === undefined) {
    provider = createSavedCardProvider(config, sql);
    providers.set(config, provider);
  }
  return provider;
}

/** The account's provider customer, created at the provider the first time it is needed. */
export async function ensurePaymentCustomer(provider: SavedCardProvider, sql: Sql, accountId: string, email: string): Promise<string> {
  const existing = await findPaymentCustomer(sql, accountId);
  if (existing !== null) return existing;
  return storePaymentCustomer(sql, accountId, provider.name, await provider.createCustomer(accountId, email));
}
