// The shape of one operation of the API contract (OpenAPI 3.1). Each route module exports the operations
// it serves, next to the zod schemas that validate their requests, so a route and its contract are one
// change; api/openapi/operations.ts lists the modules, and api/openapi/document.ts turns the list into
// the document served at GET /openapi.json. Test support validates every response against it.
import type { z } from 'zod';
import type { ErrorCode } from '../../domain/errors.ts';

/** Who may call an operation: anyone, a customer's API key, an operator's token, or Stripe (signed). */
export type Access = 'public' | 'customer' | 'admin' | 'stripe';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One answer of an operation other than an error (errors come from `errors` and the common codes). */
export interface SuccessResponse {
  description: string;
  /** The JSON body; omitted for an answer without one (204, a redirect). */
  schema?: z.ZodType;
  /** application/json unless given: a PDF or an HTML page is a string of bytes; several when the answer varies. */
  contentType?: string | readonly string[];
  /** `Idempotent-Replayed: true` when the Idempotency-Key had already done this. */
  replayable?: boolean;
  /** Other headers this answer carries, by name. */
  headers?: Record<string, { description: string; schema: z.ZodType }>;
}

export interface ApiOperation {
  method: HttpMethod;
  /** The Express path, with `:name` parameters (`/v1/holds/:id`). */
  path: string;
  /** Unique, lowerCamelCase: the typed client's and the docs' name of it. */
  operationId: string;
  summary: string;
  description?: string;
  /** The docs' section. */
  tag: string;
  access: Access;
  /** The route needs an Idempotency-Key header. */
  idempotencyKey?: boolean;
  /** Path parameters, one property per `:name`. */
  pathParameters?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers the route reads, beyond Authorization and the Idempotency-Key. */
  headers?: z.ZodObject;
  /** The schema that validates the body (its input side is what the contract shows). */
  body?: { schema: z.ZodType; required?: boolean; example?: unknown; contentType?: 'application/json' | 'application/x-www-form-urlencoded' };
  /** A 401, 403 or 410 here is a page (the billing portal's), declared in place of the JSON error. */
  responses: Partial<Record<200 | 201 | 202 | 204 | 303 | 401 | 403 | 409 | 410 | 503, SuccessResponse>>;
  /** The error codes of this route beyond the ones every route of its access can answer (document.ts). */
  errors?: readonly ErrorCode[];
  /** The route's own errors are HTML pages naming their code (the ops console's); the edge's stay the JSON error object. */
  htmlErrors?: boolean;
}

/** Declares operations with their types checked; returns them as given. */
export function defineOperations(operations: readonly ApiOperation[]): readonly ApiOperation[] {
  return operations;
}
