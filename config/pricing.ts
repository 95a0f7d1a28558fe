// Loads the pricing file (config/pricing.json) at start. Reading the file is here, with the rest of the
// configuration; validating it is domain/pricing.ts's parsePricing, which is pure.
import { readFileSync } from 'node:fs';
import { parsePricing, type Pricing } from '../domain/pricing.ts';

export const defaultPricingFile = new URL('./pricing.json', import.meta.url);

/** Reads and validates the pricing file; an invalid one throws PricingConfigError. */
export function loadPricing(file: URL | string = defaultPricingFile): Pricing {
  return parsePricing(JSON.parse(readFileSync(file, 'utf8')));
}
