// Saved payment methods: POST /v1/payment-methods/setup (a Checkout Session in setup mode; the card
// arrives by signed webhook, api/webhooks/handle-setup-session-event.ts), GET /v1/payment-methods,
// POST /v1/payment-methods/:id/default, DELETE /v1/payment-methods/:id (detached at the provider;
// an auto-recharge charging it is switched off with the reason). The API is the tables' only writer.
import { Router } from 'express';
import { z } from 'zod';
import { PermanentProviderError } from '../../activities/payments/provider.ts';
import { detachPaymentMethod } from '../../db/payment-methods/detach-payment-method.ts';
import { getPaymentMethod, listPaymentMethods } from '../../db/payment-methods/list-payment-methods.ts';
import type { StoredPaymentMethod } from '../../db/payment-methods/payment-method.ts';
import { setDefaultPaymentMethod } from '../../db/payment-methods/set-default-payment-method.ts';
import { ApiError } from '../../domain/errors.ts';
import { currentAccount } from '../auth.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { idParameter, timestamp } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import { ensurePaymentCustomer, savedCardProvider } from '../payment-methods/saved-card-provider.ts';
import { parseBody, parseIdempotencyKey, storedText } from '../validation.ts';

const maximumReturnUrlLength = 2_048;
const returnUrl = storedText(1, maximumReturnUrlLength).refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
  message: 'must be an http or https URL',
});
const setupBody = z.strictObject({ success_url: returnUrl.optional(), cancel_url: returnUrl.optional() });
const paymentMethodIdPattern = /^pm_[A-Za-z0-9_]{1,250}$/;
const paymentMethodIdParameters = idParameter(paymentMethodIdPattern, 'pm_1QxYzAbCdEfGhIjKlMnOpQrS');

/** A saved card as presentPaymentMethod answers it. */
const paymentMethodObject = z
  .object({
    id: z.string().meta({ example: 'pm_1QxYzAbCdEfGhIjKlMnOpQrS' }),
    brand: z.string().meta({ example: 'visa' }),
    last4: z.string().meta({ example: '4242' }),
    exp_month: z.number().int().min(1).max(12),
    exp_year: z.number().int(),
    is_default: z.boolean().meta({ description: 'The card auto-recharge charges when its settings name none.' }),
    created_at: timestamp,
  })
  .meta({ id: 'SavedCard' });

export function presentPaymentMethod(method: StoredPaymentMethod) {
  return {
    id: method.id,
    brand: method.brand,
    last4: method.last4,
    exp_month: method.expMonth,
    exp_year: method.expYear,
    is_default: method.isDefault,
    created_at: method.createdAt.toISOString(),
  };
}

function paymentMethodIdParameter(value: string | string[] | undefined): string {
  if (typeof value !== 'string' || !paymentMethodIdPattern.test(value)) throw new ApiError('not_found', 'No such payment method.');
  return value;
}

/**
 * Whether a setup may send the customer back to this URL: a host of ALLOWED_REDIRECT_HOSTS, or this API's
 * own origin (PUBLIC_BASE_URL), where the billing portal's page is, so a portal can always come back to itself.
 */
function mayReturnTo(url: string, allowedHosts: readonly string[], publicBaseUrl: string): boolean {
  const target = new URL(url);
  return allowedHosts.includes(target.hostname) || target.origin === new URL(publicBaseUrl).origin;
}

/** A provider failure as the API reports it: refused for good (502), or unreachable for now (503). */
function providerFailure(error: unknown): ApiError {
  if (error instanceof PermanentProviderError) return new ApiError('payment_provider_error', 'The payment provider refused the request.', undefined, { cause: error });
  return new ApiError('service_unavailable', 'The payment provider could not be reached; retry with the same Idempotency-Key.', undefined, { cause: error });
}

export function paymentMethodRoutes(dependencies: ApiDependencies): Router {
  const { sql, config } = dependencies;
  const router = Router();

  router.post('/v1/payment-methods/setup', async (request, response) => {
    const account = currentAccount(response);
    const idempotencyKey = parseIdempotencyKey(request.get('idempotency-key'));
    const body = parseBody(setupBody, request.body);
    for (const name of ['success_url', 'cancel_url'] as const) {
      const value = body[name];
      if (value !== undefined && !mayReturnTo(value, config.http.allowedRedirectHosts, config.api.publicBaseUrl)) {
        throw new ApiError('redirect_not_allowed', `${name} must point to one of the allowed hosts (${config.http.allowedRedirectHosts.join(', ')}).`, name);
      }
    }
    const provider = savedCardProvider(config, sql);
    const returnBase = `${config.api.publicBaseUrl}/checkout/return?order_id=setup`;
    const expiresAt = new Date(Date.now() + config.orders.expiryMinutes * 60_000);
    try {
      const customerId = await ensurePaymentCustomer(provider, sql, account.accountId, account.email);
      const session = await provider.createSetupSession({
        accountId: account.accountId,
        providerCustomerId: customerId,
        currency: account.currency,
        idempotencyKey,
        successUrl: body.success_url ?? `${returnBase}&result=success`,
        cancelUrl: body.cancel_url ?? `${returnBase}&result=cancel`,
        expiresAt,
      });
      response.status(201).json({ setup_url: session.url, expires_at: expiresAt.toISOString() });
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw providerFailure(error);
    }
  });

  router.get('/v1/payment-methods', async (_request, response) => {
    const account = currentAccount(response);
    response.json({ data: (await listPaymentMethods(sql, account.accountId)).map(presentPaymentMethod) });
  });

  router.post('/v1/payment-methods/:id/default', async (request, response) => {
    const account = currentAccount(response);
    const method = await setDefaultPaymentMethod(sql, account.accountId, paymentMethodIdParameter(request.params.id));
    if (method === null) throw new ApiError('not_found', 'No such payment method.');
    response.json(presentPaymentMethod(method));
  });

  router.delete('/v1/payment-methods/:id', async (request, response) => {
    const account = currentAccount(response);
    const id = paymentMethodIdParameter(request.params.id);
    const method = await getPaymentMethod(sql, account.accountId, id);
    if (method === null || method.detachedAt !== null) throw new ApiError('not_found', 'No such payment method.');
    try {
      await savedCardProvider(config, sql).detachPaymentMethod(id);
    } catch (error) {
      throw providerFailure(error);
    }
    const detached = await detachPaymentMethod(sql, account.accountId, id);
    response.json({ id, deleted: true, auto_recharge_disabled: detached.autoRechargeDisabled });
  });

  return router;
}

/** The contract of these routes (api/openapi). */
export const paymentMethodOperations = defineOperations([
  {
    method: 'post',
    path: '/v1/payment-methods/setup',
    operationId: 'createPaymentMethodSetup',
    summary: 'Open a page where the customer saves a card (Checkout in setup mode; nothing is charged)',
    description: 'The card is saved when the provider reports the completed setup by signed webhook; GET /v1/payment-methods then lists it. The first card saved becomes the default.',
    tag: 'Saved cards',
    access: 'customer',
    idempotencyKey: true,
    body: { schema: setupBody, example: { success_url: 'https://app.example.com/cards?saved=1', cancel_url: 'https://app.example.com/cards' } },
    responses: {
      201: {
        description: 'Where to send the customer, and until when the page can be used.',
        schema: z.object({ setup_url: z.string().meta({ example: 'https://checkout.stripe.com/c/pay/cs_test_…' }), expires_at: timestamp }),
      },
    },
    errors: ['redirect_not_allowed', 'payment_provider_error'],
  },
  {
    method: 'get',
    path: '/v1/payment-methods',
    operationId: 'listPaymentMethods',
    summary: 'The account\'s saved cards',
    tag: 'Saved cards',
    access: 'customer',
    responses: { 200: { description: 'The saved cards, deleted ones left out.', schema: z.object({ data: z.array(paymentMethodObject) }) } },
  },
  {
    method: 'post',
    path: '/v1/payment-methods/:id/default',
    operationId: 'setDefaultPaymentMethod',
    summary: 'Make a saved card the default',
    tag: 'Saved cards',
    access: 'customer',
    pathParameters: paymentMethodIdParameters,
    responses: { 200: { description: 'The card, now the default.', schema: paymentMethodObject } },
  },
  {
    method: 'delete',
    path: '/v1/payment-methods/:id',
    operationId: 'deletePaymentMethod',
    summary: 'Delete a saved card (detached at the provider)',
    description: 'An auto-recharge that charges this card is switched off, with the reason on GET /v1/auto-recharge.',
    tag: 'Saved cards',
    access: 'customer',
    pathParameters: paymentMethodIdParameters,
    responses: {
      200: {
        description: 'Deleted.',
        schema: z.object({
          id: z.string(),
          deleted: z.literal(true),
          auto_recharge_disabled: z.boolean().meta({ description: 'Whether auto-recharge charged this card and was switched off.' }),
        }),
      },
    },
    errors: ['payment_provider_error'],
  },
]);
