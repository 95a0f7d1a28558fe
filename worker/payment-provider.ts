// Chooses the payment provider from the configuration: Stripe with a key, the sandbox without.
import { createSandboxProvider } from '../activities/payments/sandbox-provider.ts';
import { createStripeClient, createStripeProvider } from '../activities/payments/stripe-provider.ts';
import type { PaymentProvider } from '../activities/payments/provider.ts';
import type { Config } from '../config/config.ts';
import type { Sql } from '../db/client.ts';

export function createPaymentProvider(config: Config, sql: Sql): PaymentProvider {
  return config.stripe.mode === 'stripe'
    ? createStripeProvider(createStripeClient(config.stripe))
    : createSandboxProvider(sql, config.api.publicBaseUrl);
}
