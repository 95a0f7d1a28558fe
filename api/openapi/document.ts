// Builds the OpenAPI 3.1 document from the operations the route modules export (operations.ts), with
// zod-openapi, from the same zod schemas that validate the requests. Adds what every operation of an
// access shares: its security, the common error codes with an example of each, the request id and
// Retry-After headers. Pure: the same operations give the same document, byte for byte.
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponseObject } from 'zod-openapi';
import { errorCodes, type ErrorCode } from '../../domain/errors.ts';
import { maximumIdempotencyKeyLength } from '../validation.ts';
import { errorObject } from './objects.ts';
import type { Access, ApiOperation, SuccessResponse } from './operation.ts';
import { outgoingWebhooks, refillSignatureDescription } from './outgoing-webhooks.ts';

export const contractVersion = '1.0.0';

/** Every route of this access can answer these, whatever it does. */
const commonErrorsByAccess: Record<Access, readonly ErrorCode[]> = {
  public: ['invalid_path', 'invalid_query_parameter', 'not_found', 'internal_error', 'service_unavailable'],
  stripe: ['invalid_path', 'invalid_query_parameter', 'rate_limited', 'payload_too_large', 'internal_error', 'service_unavailable'],
  // forbidden: a billing portal session's token on a route outside the portal's (api/portal-session-access.ts).
  customer: ['invalid_path', 'invalid_query_parameter', 'invalid_json', 'invalid_request', 'unsupported_media_type', 'payload_too_large', 'unauthorized', 'forbidden', 'not_found', 'rate_limited', 'internal_error', 'service_unavailable'],
  admin: ['invalid_path', 'invalid_query_parameter', 'invalid_json', 'invalid_request', 'invalid_field', 'unsupported_media_type', 'payload_too_large', 'unauthorized', 'forbidden', 'not_found', 'rate_limited', 'internal_error', 'service_unavailable'],
};

const bodyErrors: readonly ErrorCode[] = ['invalid_request', 'missing_field', 'invalid_field'];
const idempotencyErrors: readonly ErrorCode[] = ['idempotency_key_required', 'idempotency_key_invalid', 'idempotency_key_reused'];

const requestIdDescription =
  'The request\'s id: the caller\'s X-Request-Id when well-formed (1-128 of A-Z a-z 0-9 . _ : -), else a new UUID. Every log line of the request carries it.';
const retryAfterDescription = 'Seconds to wait before retrying (with the same Idempotency-Key).';
const replayedDescription = '`true` when the Idempotency-Key had already done this: the answer is the first one\'s.';

const requestIdHeader = z.string().min(1).meta({ header: { id: 'X-Request-Id', description: requestIdDescription }, example: '5b0f8a2e-6c1d-4f7e-9a51-3c2d1e0f9b8a' });
const retryAfterHeader = z.string().regex(/^\d+$/).meta({ header: { id: 'Retry-After', description: retryAfterDescription }, example: '2' });
const replayedHeader = z.literal('true').optional().meta({ header: { id: 'Idempotent-Replayed', description: replayedDescription } });

const securityByAccess: Record<Access, Record<string, string[]>[] | undefined> = {
  public: [],
  stripe: [],
  customer: [{ customerApiKey: [] }],
  admin: [{ operatorToken: [] }],
};

/** The error codes an operation can answer, the common ones of its access first. */
export function errorCodesOf(operation: ApiOperation): ErrorCode[] {
  const codes = new Set<ErrorCode>(commonErrorsByAccess[operation.access]);
  if (operation.body !== undefined) for (const code of bodyErrors) codes.add(code);
  if (operation.idempotencyKey === true) for (const code of idempotencyErrors) codes.add(code);
  if (operation.query?.shape.cursor !== undefined) codes.add('invalid_cursor');
  for (const code of operation.errors ?? []) codes.add(code);
  return [...codes];
}

/** One response per status of the operation's error codes, with an example of each code. */
function errorResponses(operation: ApiOperation): Record<string, ZodOpenApiResponseObject> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(operation)) {
    const status = errorCodes[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, ZodOpenApiResponseObject> = {};
  for (const [status, codes] of [...byStatus].sort(([left], [right]) => left - right)) {
    const examples = Object.fromEntries(codes.map((code) => [code, { $ref: `#/components/examples/${code}` }]));
    responses[String(status)] = {
      description: codes.map((code) => `\`${code}\``).join(', '),
      headers: z.object(status === 429 || status === 503 ? { 'X-Request-Id': requestIdHeader, 'Retry-After': retryAfterHeader } : { 'X-Request-Id': requestIdHeader }),
      // A page's own refusals are pages; the edge's (a bad query, a rate limit) stay JSON.
      content: { 'application/json': { schema: errorObject, examples }, ...(operation.htmlErrors === true ? { 'text/html': { schema: z.string() } } : {}) },
    };
  }
  return responses;
}

function successResponse(response: SuccessResponse): ZodOpenApiResponseObject {
  const headers: Record<string, z.ZodType> = { 'X-Request-Id': requestIdHeader };
  if (response.replayable === true) headers['Idempotent-Replayed'] = replayedHeader;
  for (const [name, header] of Object.entries(response.headers ?? {})) headers[name] = header.schema.meta({ description: header.description });
  const contentTypes = [response.contentType ?? 'application/json'].flat();
  const schema = response.schema;
  return {
    description: response.description,
    headers: z.object(headers),
    ...(schema === undefined ? {} : { content: Object.fromEntries(contentTypes.map((type) => [type, { schema }])) }),
  };
}

/** `/v1/holds/:id` → `/v1/holds/{id}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z_]+)/g, '{$1}');
}

const idempotencyKeyParameter = z
  .string()
  .min(1)
  .max(maximumIdempotencyKeyLength)
  .regex(/^[\x21-\x7e]+$/)
  .meta({ description: 'Unique per intended operation; a retry sends the same key and gets the same answer.', example: 'topup-2026-12-01-0001' });

const operatorHeader = z
  .string()
  .optional()
  .meta({ description: 'Optional; when sent it must name the operator of the token (actions are recorded as that operator), else 403 forbidden.', example: 'alice' });

/** The request headers of an operation as one object, or undefined when it reads none of its own. */
function requestHeadersOf(operation: ApiOperation): z.ZodObject | undefined {
  const shape: Record<string, z.ZodType> = { ...operation.headers?.shape };
  if (operation.idempotencyKey === true) shape['Idempotency-Key'] = idempotencyKeyParameter;
  if (operation.access === 'admin') shape['X-Operator'] = operatorHeader;
  return Object.keys(shape).length === 0 ? undefined : z.object(shape);
}

function operationObject(operation: ApiOperation): ZodOpenApiOperationObject {
  const responses: Record<string, ZodOpenApiResponseObject> = errorResponses(operation);
  for (const [status, response] of Object.entries(operation.responses)) responses[status] = successResponse(response!);
  const body = operation.body;
  const header = requestHeadersOf(operation);
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    ...(operation.description === undefined ? {} : { description: operation.description }),
    tags: [operation.tag],
    security: securityByAccess[operation.access]!,
    requestParams: {
      ...(operation.pathParameters === undefined ? {} : { path: operation.pathParameters }),
      ...(operation.query === undefined ? {} : { query: operation.query }),
      ...(header === undefined ? {} : { header }),
    },
    ...(body === undefined
      ? {}
      : {
          requestBody: {
            required: body.required ?? true,
            content: { [body.contentType ?? 'application/json']: { schema: body.schema, ...(body.example === undefined ? {} : { example: body.example }) } },
          },
        }),
    responses,
  };
}

const description = `Refill's HTTP API: prepaid credit top-ups, the balance and its flows, holds, refunds, and ops.

Money is a decimal string (\`"12.50"\` in, six decimals \`"12.500000"\` out), never a JSON number. Every
error is \`{"error": {"code", "message", "field"?}}\` with a code from \`ErrorCode\`. Creates take an
\`Idempotency-Key\`: a retry with the same key and body gets the same answer (\`Idempotent-Replayed: true\`).
Every answer carries \`X-Request-Id\`; a 429 or 503 carries \`Retry-After\`.`;

/** The OpenAPI 3.1 document of the given operations. */
export function buildOpenApiDocument(operations: readonly ApiOperation[]) {
  const paths: Record<string, Record<string, ZodOpenApiOperationObject>> = {};
  for (const operation of operations) {
    const path = openApiPath(operation.path);
    paths[path] = { ...paths[path], [operation.method]: operationObject(operation) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: { title: 'Refill API', version: contractVersion, description },
    servers: [{ url: '/', description: 'This API' }],
    paths,
    webhooks: outgoingWebhooks,
    components: {
      securitySchemes: {
        customerApiKey: { type: 'http', scheme: 'bearer', description: 'A customer\'s API key (`rfk_…`), from POST /admin/accounts.' },
        operatorToken: { type: 'http', scheme: 'bearer', description: 'An operator\'s admin token (ADMIN_TOKENS).' },
      },
      // One example per error code, which every response that can carry the code refers to.
      examples: Object.fromEntries(
        (Object.keys(errorCodes) as ErrorCode[]).map((code) => [code, { summary: errorCodes[code].meaning, value: { error: { code, message: errorCodes[code].meaning } } }]),
      ),
      headers: {
        'Refill-Signature': {
          description: `Carried by the deliveries of Refill's own webhooks to a subscriber (\`webhooks.refillEvent\`). ${refillSignatureDescription}`,
          schema: { type: 'string', pattern: '^t=\\d+,v1=[0-9a-f]{64}$' },
        },
      },
    },
  });
}
