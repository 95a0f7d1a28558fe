// The Refill-Signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the
// endpoint's secret, the scheme of Stripe's Stripe-Signature, so Stripe's own verification helpers
// (stripe.webhooks.constructEvent(body, header, secret)) verify it unchanged.
import { createHmac } from 'node:crypto';

export const signatureHeaderName = 'Refill-Signature';

export function signatureHeader(body: string, secret: string, timestamp_seconds: number): string {
  const signature = createHmac('sha256', secret).update(`${timestamp_seconds}.${body}`, 'utf8').digest('hex');
  return `t=${timestamp_seconds},v1=${signature}`;
}
