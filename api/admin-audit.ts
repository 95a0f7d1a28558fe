// The audit log of ops: every write request to an /admin route is recorded once, by this middleware,
// with the operator of its token, the action and target its path names, its HTTP status, its request
// id and a summary of its body. Being mounted before every /admin route, it cannot miss one, a route
// added later included (the ops console's actions are recorded by the same middleware, as the operator
// of the console session). The record is written when the route answers, before the answer leaves, so an
// operator who has the answer finds it in the log. Reads (GET, HEAD) are not recorded.
import type { NextFunction, Request, Response } from 'express';
import type { Sql } from '../db/client.ts';
import { recordAdminAction, type AdminActionRecord } from '../db/audit/record-admin-action.ts';
import type { Logger } from '../observability/logger.ts';
import { operator } from './operator.ts';

const auditedMethods: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** How long an answer waits for its audit record; a slower write still completes, or is logged. */
const auditWriteWaitMilliseconds = 5_000;
const maximumTargetLength = 200;
const maximumPathLength = 2_048;
const maximumRequestIdLength = 200;
const maximumSummaryDepth = 4;
const maximumSummaryKeys = 50;
const maximumSummaryArrayItems = 20;
const maximumSummaryStringLength = 500;
/** Fields whose values are never kept, whatever route they come to. */
const secretFieldPattern = /secret|token|password|passphrase|api_?key|authorization|cookie|card_?number|cvc|cvv/i;
/** Half of a surrogate pair without its other half: JSON can carry one, Postgres's jsonb refuses it. */
const loneSurrogatePattern = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** A collection or verb in a path; two of them and a dot stay within the 100 characters of an action. */
const pathSegmentPattern = /^[a-z][a-z0-9-]{0,47}$/;

/** Names the object a route creates, for the record of the request (the other routes name it in their path). */
export function setAuditTarget(response: Response, target: string): void {
  response.locals.auditTarget = target;
}

/** Text as Postgres stores it: well-formed UTF-16 without NUL, at most maximumLength characters. */
function storable(text: string, maximumLength: number): string {
  const cut = text.length <= maximumLength ? text : `${text.slice(0, maximumLength - 1)}…`;
  return cut.replace(loneSurrogatePattern, '\uFFFD').replaceAll('\u0000', '\uFFFD');
}

/** The request body as it is kept: values of secret-looking fields redacted, everything bounded. */
export function summarizeRequestBody(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return storable(value, maximumSummaryStringLength);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value !== 'object') return null;
  if (depth >= maximumSummaryDepth) return '[nested too deeply]';
  if (Array.isArray(value)) return value.slice(0, maximumSummaryArrayItems).map((item) => summarizeRequestBody(item, depth + 1));
  const summary: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value).slice(0, maximumSummaryKeys)) {
    summary[storable(key, maximumSummaryStringLength)] = secretFieldPattern.test(key) ? '[redacted]' : summarizeRequestBody(field, depth + 1);
  }
  return summary;
}

const underscored = (segment: string) => segment.replaceAll('-', '_');
/** `topups` → `topup`, `promo-codes` → `promo_code`: the kind of object a collection holds. */
const singular = (collection: string) => underscored(collection.replace(/s$/, ''));
const itemVerbs: Record<string, string> = { PUT: 'update', PATCH: 'update', DELETE: 'delete', POST: 'change' };

/**
 * The action and target a write path names: `POST /admin/accounts` is `account.create`,
 * `POST /admin/topups/ord_…/start-review` is `topup.start_review` on the order. A path of another shape
 * (one that matched no route) is `unknown_route`.
 */
export function describeAdminWrite(method: string, path: string): { action: string; target: string | null } {
  const unknown = { action: 'unknown_route', target: null };
  // The ops console's actions (/ops/topups/…/confirm-transfer) mirror the /admin paths, and are named as they are.
  const [, collection, id, verb, ...more] = path.replace(/^\/(?:admin|ops)(?=\/|$)/i, '').replace(/\/$/, '').split('/');
  const lowerCollection = collection?.toLowerCase();
  const lowerVerb = verb?.toLowerCase();
  if (lowerCollection === undefined || !pathSegmentPattern.test(lowerCollection) || more.length > 0) return unknown;
  if (lowerVerb !== undefined && !pathSegmentPattern.test(lowerVerb)) return unknown;
  const subject = singular(lowerCollection);
  if (id === undefined || id === '') return { action: `${subject}.${method === 'POST' ? 'create' : method.toLowerCase()}`, target: null };
  const verbName = lowerVerb === undefined ? (itemVerbs[method] ?? 'change') : underscored(lowerVerb);
  return { action: `${subject}.${verbName}`, target: storable(id.replace(/[^\x21-\x7e]/g, '?'), maximumTargetLength) };
}

/** The request id another middleware settled on, else the caller's X-Request-Id when it is well formed. */
function requestIdOf(request: Request, response: Response): string | null {
  const settled: unknown = response.locals.requestId;
  const candidate = typeof settled === 'string' ? settled : request.get('x-request-id');
  if (candidate === undefined || !/^[\x21-\x7e]+$/.test(candidate)) return null;
  return candidate.slice(0, maximumRequestIdLength);
}

function recordOf(request: Request, response: Response): AdminActionRecord {
  const path = storable(request.originalUrl.split('?')[0]!, maximumPathLength);
  const described = describeAdminWrite(request.method, path);
  const target: unknown = response.locals.auditTarget;
  return {
    operator: operator(request),
    action: described.action,
    target: described.target ?? (typeof target === 'string' ? storable(target, maximumTargetLength) : null),
    method: request.method,
    path,
    statusCode: response.statusCode,
    requestId: requestIdOf(request, response),
    requestSummary: request.body === undefined ? null : summarizeRequestBody(request.body),
  };
}

/** Writes the request's row; a failure is logged with the row, never thrown at the answer it would hold up. */
async function recordRequest(sql: Sql, logger: Logger, request: Request, response: Response): Promise<void> {
  let record: AdminActionRecord | null = null;
  try {
    record = recordOf(request, response);
    await recordAdminAction(sql, record);
  } catch (error) {
    logger.error({ err: error, audit: record, method: request.method, path: request.path }, 'admin action not recorded in the audit log');
  }
}

/** Resolves when the promise settles or the wait is over, whichever comes first. */
function settledOrLate(promise: Promise<unknown>, waitMilliseconds: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, waitMilliseconds);
    void promise.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Records every write request to /admin; mounted after requireAdmin, so each has an operator. */
export function auditAdminWrites(sql: Sql, logger: Logger) {
  return (request: Request, response: Response, next: NextFunction) => {
    if (!auditedMethods.has(request.method)) return next();
    const end = response.end.bind(response) as (...args: unknown[]) => Response;
    let recorded = false;
    // Every answer, a route's or the error handler's, ends here: that is when its status is final.
    response.end = ((...args: unknown[]) => {
      if (recorded) return end(...args);
      recorded = true;
      void settledOrLate(recordRequest(sql, logger, request, response), auditWriteWaitMilliseconds).then(() => end(...args));
      return response;
    }) as Response['end'];
    next();
  };
}
