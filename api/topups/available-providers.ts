// Which providers can take payments in this installation: those with credentials, and outside
// production the sandbox standing in for each that has none. A method of another provider is not
// offered (GET /v1/topup-options leaves it out; a quote or order for it is payment_method_unavailable).
import type { Config } from '../../config/config.ts';
import type { PaymentProviderName } from '../../domain/pricing.ts';

export function availableProviders(config: Pick<Config, 'environment' | 'stripe' | 'airwallex'>): ReadonlySet<PaymentProviderName> {
  const sandboxStandsIn = config.environment !== 'production';
  const available = new Set<PaymentProviderName>(['bank_transfer']);
  if (config.stripe.mode === 'stripe' || sandboxStandsIn) available.add('stripe');
  if (config.airwallex.mode === 'airwallex' || sandboxStandsIn) available.add('airwallex');
  return available;
}

/** Whether the sandbox's pages serve this installation: it stands in for at least one provider. */
export function sandboxServes(config: Pick<Config, 'environment' | 'stripe' | 'airwallex'>): boolean {
  return config.stripe.mode === 'sandbox' || (config.airwallex.mode === 'sandbox' && config.environment !== 'production');
}
