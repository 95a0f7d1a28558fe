// The identifiers and secrets of outgoing webhooks: endpoint ids ('we_…') and signing secrets
// ('whsec_…', as Stripe's, so the same verification code reads them).
import { randomBytes } from 'node:crypto';
import { randomToken } from './ids.ts';

/** A new webhook endpoint's id. */
export function newWebhookEndpointId(): string {
  return `we_${randomToken()}`;
}

/** A new signing secret: 32 random bytes, hex. Shown once, when the endpoint is created. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('hex')}`;
}
