// Chooses the payment providers from the configuration: Stripe with a key, Airwallex with its credentials,
// and the sandbox standing in for whichever has none (never in production). The activities get one
// provider that routes each call (activities/payments/routing-provider.ts).
import { createAirwallexClient } from '../activities/payments/airwallex-client.ts';
import { createAirwallexProvider } from '../activities/payments/airwallex-provider.ts';
import { createRoutingProvider } from '../activities/payments/routing-provider.ts';
import { createSandboxProvider } from '../activities/payments/sandbox-provider.ts';
import { createStripeClient, createStripeProvider } from '../activities/payments/stripe-provider.ts';
import type { PaymentProvider } from '../activities/payments/provider.ts';
import type { Config } from '../config/config.ts';
import type { Sql } from '../db/client.ts';

export function createPaymentProvider(config: Config, sql: Sql): PaymentProvider {
  const sandbox = config.environment === 'production' ? null : createSandboxProvider(sql, config.api.publicBaseUrl);
  const stripe = config.stripe.mode === 'stripe' ? createStripeProvider(createStripeClient(config.stripe)) : sandbox;
  // The configuration already refuses this; a Config built another way must not slip through either.
  if (stripe === null) throw new Error('the sandbox payment provider does not run when REFILL_ENV is production');
  const airwallex =
    config.airwallex.mode === 'airwallex' ? createAirwallexProvider(createAirwallexClient(config.airwallex), config.airwallex.apiBase) : sandbox;
  return createRoutingProvider({ stripe, airwallex, sandbox });
}
