// Outgoing webhooks, for ops (under /admin, with an operator's token):
//   POST   /admin/webhook-endpoints            {"url", "events": [...] | ["*"], "description"?} → 201 with the secret, shown once
//   GET    /admin/webhook-endpoints            every endpoint (no secrets)
//   GET    /admin/webhook-endpoints/:id
//   PATCH  /admin/webhook-endpoints/:id        {"url"?, "events"?, "enabled"?, "description"?}
//   DELETE /admin/webhook-endpoints/:id        204
//   POST   /admin/webhook-endpoints/:id/test   a webhook_endpoint.test event, to that endpoint only
//   GET    /admin/webhook-events?endpoint_id=&status=pending|delivered|failed&type=&limit=&cursor=   newest first, with attempts
//   POST   /admin/webhook-events/:id/redeliver a delivery (whd_…) or every delivery of an event (evt_…), pending again now
// The routes write endpoints and reopen deliveries; the worker's dispatcher writes attempts and outcomes.
import { Router } from 'express';
import { z } from 'zod';
import { createWebhookEndpoint } from '../../db/webhooks/create-webhook-endpoint.ts';
import { deliveryExists } from '../../db/webhooks/delivery-exists.ts';
import { deleteWebhookEndpoint } from '../../db/webhooks/delete-webhook-endpoint.ts';
import { getWebhookEndpoint } from '../../db/webhooks/get-webhook-endpoint.ts';
import { listWebhookDeliveries, type ListedWebhookDelivery } from '../../db/webhooks/list-webhook-deliveries.ts';
import { listWebhookEndpoints, maximumWebhookEndpoints } from '../../db/webhooks/list-webhook-endpoints.ts';
import { recordTestEvent } from '../../db/webhooks/record-test-event.ts';
import { redeliverWebhook } from '../../db/webhooks/redeliver-webhook.ts';
import { updateWebhookEndpoint } from '../../db/webhooks/update-webhook-endpoint.ts';
import type { WebhookEndpoint } from '../../db/webhooks/webhook-endpoint.ts';
import { ApiError } from '../../domain/errors.ts';
import {
  maximumWebhookEventTypesPerEndpoint,
  webhookDeliveryStatuses,
  webhookEventTypes,
  webhookRetryWindow_ms,
  type WebhookDestinationPolicy,
} from '../../domain/webhooks.ts';
import { newWebhookEndpointId, newWebhookSecret } from '../../ids/webhook-ids.ts';
// The same rule the dispatcher applies to the resolved address at each attempt; here, to the URL's text.
import { urlRefusal } from '../../worker/webhooks/destination.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { idParameter, listQuery, pageSchema, timestamp } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import { webhookEventType as eventType } from '../openapi/outgoing-webhooks.ts';
import { decodeRowIdCursor, pageOf, parseBody, parseChoice, parseLimit, storedText } from '../validation.ts';

const endpointIdPattern = /^we_[0-9a-z]{24}$/;
const deliveryOrEventIdPattern = /^(whd|evt)_[0-9a-f]{32}$/;
const maximumUrlLength = 2048;

const eventsField = z
  .array(z.enum(['*', ...webhookEventTypes]))
  .min(1)
  .max(maximumWebhookEventTypesPerEndpoint)
  .transform((events) => [...new Set(events)]);
const urlField = z.string().min(8).max(maximumUrlLength);
const descriptionField = storedText(0, 500).nullable();

const createBody = z.strictObject({ url: urlField, events: eventsField, description: descriptionField.optional() });
const updateBody = z.strictObject({ url: urlField.optional(), events: eventsField.optional(), enabled: z.boolean().optional(), description: descriptionField.optional() });

function checkedUrl(url: string, policy: WebhookDestinationPolicy): string {
  const refusal = urlRefusal(url, policy);
  if (refusal !== null) throw new ApiError('webhook_url_not_allowed', `url ${refusal}.`, 'url');
  return url;
}

function endpointIdParameter(value: unknown): string {
  if (typeof value === 'string' && endpointIdPattern.test(value)) return value;
  throw new ApiError('not_found', 'No such webhook endpoint.');
}

function presentEndpoint(endpoint: WebhookEndpoint) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events,
    description: endpoint.description,
    enabled: endpoint.enabled,
    disabled_reason: endpoint.disabledReason,
    failing_since: endpoint.failingSince?.toISOString() ?? null,
    created_at: endpoint.createdAt.toISOString(),
    updated_at: endpoint.updatedAt.toISOString(),
  };
}

function presentDelivery(delivery: ListedWebhookDelivery) {
  return {
    id: delivery.id,
    event_id: delivery.event.id,
    type: delivery.event.type,
    account_id: delivery.event.accountId,
    created: Math.floor(delivery.event.createdAt.getTime() / 1000),
    endpoint_id: delivery.endpointId,
    status: delivery.status,
    next_attempt_at: delivery.status === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
    delivered_at: delivery.deliveredAt?.toISOString() ?? null,
    failure_reason: delivery.failureReason,
    attempts: delivery.attempts.map((attempt) => ({
      number: attempt.number,
      attempted_at: attempt.attemptedAt.toISOString(),
      status_code: attempt.statusCode,
      latency_ms: attempt.latency_ms,
      error: attempt.error,
    })),
  };
}

async function existingEndpoint(dependencies: ApiDependencies, id: unknown): Promise<WebhookEndpoint> {
  const endpoint = await getWebhookEndpoint(dependencies.sql, endpointIdParameter(id));
  if (endpoint === null) throw new ApiError('not_found', 'No such webhook endpoint.');
  return endpoint;
}

function endpointRoutes(router: Router, dependencies: ApiDependencies): void {
  const policy = dependencies.config.webhooks.allowedDestinations;
  router.post('/admin/webhook-endpoints', async (request, response) => {
    const body = parseBody(createBody, request.body);
    const url = checkedUrl(body.url, policy);
    if ((await listWebhookEndpoints(dependencies.sql)).length >= maximumWebhookEndpoints) {
      throw new ApiError('too_many_webhook_endpoints', `There are already ${maximumWebhookEndpoints} webhook endpoints.`);
    }
    const endpoint = await createWebhookEndpoint(dependencies.sql, {
      id: newWebhookEndpointId(),
      url,
      events: body.events,
      description: body.description ?? null,
      secret: newWebhookSecret(),
    });
    response.status(201).json({ ...presentEndpoint(endpoint), secret: endpoint.secret });
  });
  router.get('/admin/webhook-endpoints', async (_request, response) => {
    response.json({ data: (await listWebhookEndpoints(dependencies.sql)).map(presentEndpoint) });
  });
  router.get('/admin/webhook-endpoints/:id', async (request, response) => {
    response.json(presentEndpoint(await existingEndpoint(dependencies, request.params.id)));
  });
  router.patch('/admin/webhook-endpoints/:id', async (request, response) => {
    const id = endpointIdParameter(request.params.id);
    const body = parseBody(updateBody, request.body);
    if (body.url !== undefined) checkedUrl(body.url, policy);
    const endpoint = await updateWebhookEndpoint(dependencies.sql, id, body);
    if (endpoint === null) throw new ApiError('not_found', 'No such webhook endpoint.');
    response.json(presentEndpoint(endpoint));
  });
  router.delete('/admin/webhook-endpoints/:id', async (request, response) => {
    const deleted = await deleteWebhookEndpoint(dependencies.sql, endpointIdParameter(request.params.id));
    if (!deleted) throw new ApiError('not_found', 'No such webhook endpoint.');
    response.status(204).end();
  });
  router.post('/admin/webhook-endpoints/:id/test', async (request, response) => {
    const endpoint = await existingEndpoint(dependencies, request.params.id);
    if (!endpoint.enabled) throw new ApiError('webhook_endpoint_disabled', 'The webhook endpoint is disabled; enable it first.');
    const recorded = await recordTestEvent(dependencies.sql, endpoint.id);
    response.status(202).json({ event_id: recorded.eventId, delivery_id: recorded.deliveryId });
  });
}

function eventRoutes(router: Router, dependencies: ApiDependencies): void {
  router.get('/admin/webhook-events', async (request, response) => {
    const endpointIdValue = request.query.endpoint_id;
    if (endpointIdValue !== undefined && !(typeof endpointIdValue === 'string' && endpointIdPattern.test(endpointIdValue))) {
      throw new ApiError('invalid_query_parameter', 'endpoint_id must be a webhook endpoint id (we_ and 24 characters of 0-9a-z).', 'endpoint_id');
    }
    const endpointId = (endpointIdValue as string | undefined) ?? null;
    const status = parseChoice('status', request.query.status, webhookDeliveryStatuses);
    const type = parseChoice('type', request.query.type, webhookEventTypes);
    const limit = parseLimit(request.query.limit);
    const kind = `webhook-event:${endpointId ?? '*'}:${status ?? '*'}:${type ?? '*'}`;
    const beforePosition = decodeRowIdCursor(kind, request.query.cursor);
    const deliveries = await listWebhookDeliveries(dependencies.sql, { endpointId, status, type, beforePosition, limit: limit + 1 });
    response.json(pageOf(deliveries, limit, presentDelivery, { kind, position: (delivery) => delivery.position }));
  });
  router.post('/admin/webhook-events/:id/redeliver', async (request, response) => {
    const id = request.params.id;
    if (typeof id !== 'string' || !deliveryOrEventIdPattern.test(id)) throw new ApiError('not_found', 'No such webhook event or delivery.');
    const reopened = await redeliverWebhook(dependencies.sql, id, webhookRetryWindow_ms);
    if (reopened.length > 0) return void response.status(202).json({ redelivered: reopened });
    const known = await deliveryExists(dependencies.sql, id);
    if (!known) throw new ApiError('not_found', 'No such webhook event or delivery.');
    throw new ApiError('webhook_endpoint_disabled', 'Its webhook endpoint is disabled; enable it first.');
  });
}

export function adminWebhookRoutes(dependencies: ApiDependencies): Router {
  const router = Router();
  endpointRoutes(router, dependencies);
  eventRoutes(router, dependencies);
  return router;
}

const endpointIdParameters = idParameter(endpointIdPattern, 'we_0123456789abcdefghijklmn');

const endpointFields = {
  id: z.string().meta({ example: 'we_0123456789abcdefghijklmn' }),
  url: z.string().meta({ example: 'https://platform.example.com/refill-events' }),
  events: z.array(z.enum(['*', ...webhookEventTypes])).meta({ description: 'The event types it receives; `*` for all.' }),
  description: z.string().nullable(),
  enabled: z.boolean(),
  disabled_reason: z.string().nullable().meta({ description: 'Why it was disabled (by ops, or after three days of failed deliveries).' }),
  failing_since: timestamp.nullable().meta({ description: 'The first failed delivery since the last successful one.' }),
  created_at: timestamp,
  updated_at: timestamp,
};
const endpointObject = z.object(endpointFields).meta({ id: 'WebhookEndpoint' });
const createdEndpointObject = z
  .object({ ...endpointFields, secret: z.string().meta({ description: 'The signing secret of Refill-Signature; shown only in this answer.', example: 'whsec_…' }) })
  .meta({ id: 'CreatedWebhookEndpoint' });

const deliveryObject = z
  .object({
    id: z.string().meta({ example: 'whd_0123456789abcdef0123456789abcdef' }),
    event_id: z.string().meta({ example: 'evt_0123456789abcdef0123456789abcdef' }),
    type: eventType,
    account_id: z.string().nullable(),
    created: z.number().int().meta({ description: 'The event\'s time, in Unix seconds (as in the delivered body).' }),
    endpoint_id: z.string(),
    status: z.enum(webhookDeliveryStatuses),
    next_attempt_at: timestamp.nullable().meta({ description: 'While pending.' }),
    delivered_at: timestamp.nullable(),
    failure_reason: z.string().nullable(),
    attempts: z.array(
      z.object({
        number: z.number().int().min(1),
        attempted_at: timestamp,
        status_code: z.number().int().nullable().meta({ description: 'The endpoint\'s answer; null when none came (refused, timed out).' }),
        latency_ms: z.number().int().min(0),
        error: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'WebhookDelivery' });

const eventsQuery = listQuery({
  endpoint_id: z.string().regex(endpointIdPattern).optional().meta({ example: 'we_0123456789abcdefghijklmn' }),
  status: z.enum(webhookDeliveryStatuses).optional(),
  type: eventType.optional(),
});

/** The contract of these routes (api/openapi); the events they deliver are the document's `webhooks`. */
export const adminWebhookOperations = defineOperations([
  {
    method: 'post',
    path: '/admin/webhook-endpoints',
    operationId: 'createWebhookEndpoint',
    summary: 'Add a webhook endpoint: a URL that receives the subscribed events, signed',
    tag: 'Ops: webhooks',
    access: 'admin',
    body: { schema: createBody, example: { url: 'https://platform.example.com/refill-events', events: ['topup.succeeded', 'balance.low'], description: 'billing service' } },
    responses: { 201: { description: 'The endpoint, with its signing secret (shown only here).', schema: createdEndpointObject } },
    errors: ['webhook_url_not_allowed', 'too_many_webhook_endpoints'],
  },
  {
    method: 'get',
    path: '/admin/webhook-endpoints',
    operationId: 'listWebhookEndpoints',
    summary: 'Every webhook endpoint (without secrets)',
    tag: 'Ops: webhooks',
    access: 'admin',
    responses: { 200: { description: 'The endpoints.', schema: z.object({ data: z.array(endpointObject) }) } },
  },
  {
    method: 'get',
    path: '/admin/webhook-endpoints/:id',
    operationId: 'getWebhookEndpoint',
    summary: 'One webhook endpoint',
    tag: 'Ops: webhooks',
    access: 'admin',
    pathParameters: endpointIdParameters,
    responses: { 200: { description: 'The endpoint.', schema: endpointObject } },
  },
  {
    method: 'patch',
    path: '/admin/webhook-endpoints/:id',
    operationId: 'updateWebhookEndpoint',
    summary: 'Change an endpoint\'s URL, events or description, or enable or disable it',
    tag: 'Ops: webhooks',
    access: 'admin',
    pathParameters: endpointIdParameters,
    body: { schema: updateBody, example: { enabled: true } },
    responses: { 200: { description: 'The endpoint as changed.', schema: endpointObject } },
    errors: ['webhook_url_not_allowed'],
  },
  {
    method: 'delete',
    path: '/admin/webhook-endpoints/:id',
    operationId: 'deleteWebhookEndpoint',
    summary: 'Delete a webhook endpoint',
    tag: 'Ops: webhooks',
    access: 'admin',
    pathParameters: endpointIdParameters,
    responses: { 204: { description: 'Deleted.' } },
  },
  {
    method: 'post',
    path: '/admin/webhook-endpoints/:id/test',
    operationId: 'testWebhookEndpoint',
    summary: 'Send a webhook_endpoint.test event to this endpoint only',
    tag: 'Ops: webhooks',
    access: 'admin',
    pathParameters: endpointIdParameters,
    responses: { 202: { description: 'Recorded; the dispatcher delivers it shortly.', schema: z.object({ event_id: z.string(), delivery_id: z.string() }) } },
    errors: ['webhook_endpoint_disabled'],
  },
  {
    method: 'get',
    path: '/admin/webhook-events',
    operationId: 'listWebhookEvents',
    summary: 'Deliveries of events, newest first, with their attempts',
    tag: 'Ops: webhooks',
    access: 'admin',
    query: eventsQuery,
    responses: { 200: { description: 'A page of deliveries.', schema: pageSchema(deliveryObject) } },
  },
  {
    method: 'post',
    path: '/admin/webhook-events/:id/redeliver',
    operationId: 'redeliverWebhookEvent',
    summary: 'Deliver again now: one delivery (whd_…) or every delivery of an event (evt_…)',
    tag: 'Ops: webhooks',
    access: 'admin',
    pathParameters: idParameter(deliveryOrEventIdPattern, 'evt_0123456789abcdef0123456789abcdef'),
    responses: { 202: { description: 'The deliveries pending again.', schema: z.object({ redelivered: z.array(z.string()) }) } },
    errors: ['webhook_endpoint_disabled'],
  },
]);
