// The one path that creates a top-up order, for every payment method: parse what the method takes,
// answer a repeated request from its order, price the order, and start (or join) its workflow. What
// differs between methods is in the registry (payment-methods.ts).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AuthenticatedAccount } from '../../db/accounts/find-account-by-api-key.ts';
import { getOrderRow } from '../../db/orders/get-order.ts';
import { snapshotFromRow } from '../../db/orders/order-row.ts';
import { ApiError } from '../../domain/errors.ts';
import { orderIdFor } from '../../ids/ids.ts';
import type { OrderRequest, OrderSnapshot } from '../../domain/orders.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { methodFields, paymentMethodRegistry, type MethodFields } from './payment-methods.ts';
import { orderTermsFromQuote, quoteFields, resolveQuote } from './quote.ts';
import { apiErrorFromRefusal, startOrderWorkflow } from './order-workflow-calls.ts';
import { ensurePaymentCustomer, savedCardProvider } from '../payment-methods/saved-card-provider.ts';

export const createTopUpBody = z.strictObject({ ...quoteFields, ...methodFields });
export type CreateTopUpBody = z.output<typeof createTopUpBody>;

export interface CreatedTopUp {
  order: OrderSnapshot;
  /** True when the Idempotency-Key had already created this order. */
  replayed: boolean;
}

/** Digest of the normalised request: the same Idempotency-Key with a different body is refused. */
function requestHash(body: CreateTopUpBody, fields: MethodFields): string {
  const normalised = {
    amount: body.amount?.toString() ?? null,
    package_id: body.package_id ?? null,
    payment_method: body.payment_method,
    promo_code: body.promo_code?.trim().toUpperCase() ?? null,
    ...paymentMethodRegistry[body.payment_method].normalise(fields),
  };
  return createHash('sha256').update(JSON.stringify(normalised)).digest('hex');
}

/** The method's own fields; a field that belongs to another method is refused, never dropped. */
function fieldsOfMethod(body: CreateTopUpBody): MethodFields {
  const entry = paymentMethodRegistry[body.payment_method];
  const fields: MethodFields = {};
  for (const name of Object.keys(methodFields) as (keyof MethodFields)[]) {
    if (body[name] === undefined) continue;
    if (!entry.fields.includes(name)) {
      throw new ApiError('invalid_request', `${name} is not a field of payment_method "${body.payment_method}".`, name);
    }
    Object.assign(fields, { [name]: body[name] });
  }
  return fields;
}

/**
 * On a first start the worker registers the search attributes a moment after the API listens; an order
 * started before that would be refused by Temporal. The client hears 503 and retries, as for any
 * dependency not ready yet.
 */
async function refuseUntilSearchAttributesExist(dependencies: ApiDependencies): Promise<void> {
  if (dependencies.readiness === undefined || (await dependencies.readiness.searchAttributesRegistered())) return;
  throw new ApiError('service_unavailable', 'Refill is starting (its workflow search attributes are not registered yet); retry shortly with the same Idempotency-Key.');
}

/** The account's provider customer a saved card belongs to, created once (as for a setup). */
async function providerCustomerOf(dependencies: ApiDependencies, account: AuthenticatedAccount): Promise<string> {
  const provider = savedCardProvider(dependencies.config, dependencies.sql);
  try {
    return await ensurePaymentCustomer(provider, dependencies.sql, account.accountId, account.email);
  } catch (error) {
    throw new ApiError('payment_provider_error', 'The payment provider could not create the customer the card is saved for; retry with the same Idempotency-Key.', undefined, { cause: error });
  }
}

/** Creates the order (or finds the one this Idempotency-Key created) and returns it as its creator sees it. */
export async function createTopUp(
  dependencies: ApiDependencies,
  account: AuthenticatedAccount,
  idempotencyKey: string,
  body: CreateTopUpBody,
): Promise<CreatedTopUp> {
  const { sql, pricing, config, temporalClient } = dependencies;
  const entry = paymentMethodRegistry[body.payment_method];
  const fields = fieldsOfMethod(body);
  const orderId = orderIdFor(account.accountId, idempotencyKey);
  const hash = requestHash(body, fields);
  const existing = await getOrderRow(sql, orderId, account.accountId);
  if (existing !== null && existing.request_hash !== hash) {
    throw new ApiError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request.');
  }
  if (existing !== null && entry.replayFromRow(existing)) return { order: snapshotFromRow(existing), replayed: true };

  // The currency's rules first: a USD account is told bank transfers are unavailable, not what is missing.
  const { quote } = await resolveQuote(sql, pricing, account, body);
  const request: OrderRequest = {
    orderId,
    accountId: account.accountId,
    customerEmail: account.email,
    requestHash: hash,
    idempotencyKey,
    terms: orderTermsFromQuote(quote),
    createdAt: new Date().toISOString(),
    paperworkTaskQueue: config.temporal.paperworkTaskQueue,
  };
  const saveCard = fields.save_payment_method === true ? { providerCustomerId: await providerCustomerOf(dependencies, account) } : undefined;
  const input = entry.workflowInput(request, fields, dependencies, saveCard);
  await refuseUntilSearchAttributesExist(dependencies);
  const started = await startOrderWorkflow(temporalClient, config.temporal.taskQueue, entry.workflowType, input, config.temporal.orderStartTimeoutSeconds * 1000);
  if (started.kind === 'open') return { order: started.order, replayed: existing !== null };
  // The workflow had already finished (a retry long after the first request): the row is the order.
  const row = await getOrderRow(sql, orderId, account.accountId);
  if (row === null) {
    if (started.result?.outcome === 'rejected') throw apiErrorFromRefusal(started.result.code, started.result.message);
    throw new Error(`order ${orderId}: its workflow finished without recording it`);
  }
  return { order: snapshotFromRow(row), replayed: true };
}
