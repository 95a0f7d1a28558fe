// Where a checkout sends a payer back when the order was made in the billing portal: the portal's result
// tab for that order, which shows what was paid and credited and waits for the credit. The order id is
// known before the order exists (ids/ids.ts orderIdFor: from the account and the Idempotency-Key), so
// the URL can name it; a portal call that gives its own URLs keeps them.
import type { AuthenticatedAccount } from '../../db/accounts/find-account-by-api-key.ts';
import { orderIdFor } from '../../ids/ids.ts';
import type { CreateTopUpBody } from './create-order.ts';
import { paymentMethodRegistry } from './payment-methods.ts';

/** The portal's result page of an order. */
export function portalResultUrl(publicBaseUrl: string, orderId: string): string {
  return `${publicBaseUrl}/portal?tab=result&order_id=${orderId}`;
}

/** The body with the portal's result page as its success and cancel URLs, for the methods that take them. */
export function withPortalReturnUrls(body: CreateTopUpBody, account: AuthenticatedAccount, idempotencyKey: string, publicBaseUrl: string): CreateTopUpBody {
  if (!paymentMethodRegistry[body.payment_method].fields.includes('success_url')) return body;
  const resultUrl = portalResultUrl(publicBaseUrl, orderIdFor(account.accountId, idempotencyKey));
  return { ...body, success_url: body.success_url ?? resultUrl, cancel_url: body.cancel_url ?? resultUrl };
}
