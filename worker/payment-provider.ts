// Chooses the payment provider from the configuration: Stripe with a key, the sandbox without.
import { createSandboxProvider } from '../activities/payments/sandbox-provider.ts';
import { createStripeClient, createStripeProvider } from '../activities/payments/stripe-provider.ts';
import type { PaymentProvider } from '../activities/payments/provider.ts';
import type { Config } from '../config/config.ts';
import type { Sql } from '../db/client.ts';

export function createPaymentProvider(config: Config, sql: Sql): PaymentProvider {
  if (config.stripe.mode === 'stripe') return createStripeProvider(createStripeClient(config.stripe));
  // The configuration already refuses this; a Config built another way must not slip through either.
  if (config.environment === 'production') throw new Error('the sandbox payment provider does not run when REFILL_ENV is production');
  return createSandboxProvider(sql, config.api.publicBaseUrl);
}
