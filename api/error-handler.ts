// Renders every failure as { error: { code, message, field? } }. Client mistakes are 4xx with a precise
// code; a dependency that is down is 503; anything unexpected is logged with its cause and is 500.
import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '../domain/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { requestIdHeader } from './request-context.ts';
import { isTemporalUnavailable } from './temporal-unavailable.ts';

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
  /** The body as text, on parse failures. */
  body?: unknown;
}

/** True for valid JSON that is not an object or array, which express.json() in strict mode reports as a parse failure. */
function isJsonScalar(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

/** Maps the errors of express.json() (which carry a `type`) to our codes. */
function fromBodyParser(error: BodyParserError): ApiError | null {
  switch (error.type) {
    case 'entity.parse.failed':
      if (isJsonScalar(error.body)) return new ApiError('invalid_request', 'The body must be a JSON object.');
      return new ApiError('invalid_json', 'The body is not valid JSON.');
    case 'entity.too.large':
      return new ApiError('payload_too_large', 'The body is larger than the limit.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError('unsupported_media_type', 'Send the body as UTF-8 application/json.');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
    case 'stream.not.readable':
      return new ApiError('invalid_request', 'The body could not be read.');
    default:
      return fromClientHttpError(error);
  }
}

/**
 * Errors that Express and its body parser mark as the client's (http-errors with a 4xx status and
 * `expose`) but without a known `type`, such as a gzip body that does not inflate.
 */
function fromClientHttpError(error: BodyParserError): ApiError | null {
  if (error.expose !== true || typeof error.status !== 'number' || error.status < 400 || error.status > 499) return null;
  if (error.status === 413) return new ApiError('payload_too_large', 'The body is larger than the limit.');
  if (error.status === 415) return new ApiError('unsupported_media_type', 'Send the body as UTF-8 application/json.');
  return new ApiError('invalid_request', 'The request could not be read.');
}

/** Postgres and Temporal being unreachable: retryable by the client, and not a bug. */
function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'CONNECT_TIMEOUT' || code === 'CONNECTION_CLOSED' || code === 'CONNECTION_ENDED' || code === 'CONNECTION_DESTROYED' || code === '57P01' || code === '57P03') return true;
  // PostgreSQL's own: 08 connection exceptions, 57P02 crash shutdown, 53300 too many connections.
  if (typeof code === 'string' && (code.startsWith('08') || code === '57P02' || code === '53300' || code === 'EPIPE' || code === 'ETIMEDOUT')) return true;
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'ServiceError' || name === 'ConnectionError' || isTemporalUnavailable(error);
}

/**
 * A path parameter with malformed percent-encoding (`%ZZ`, a cut-off UTF-8 sequence): Express's router
 * throws URIError while decoding it, before any route runs.
 */
function fromPathDecoding(error: unknown): ApiError | null {
  if (!(error instanceof URIError)) return null;
  return new ApiError('invalid_path', 'The path has malformed percent-encoding.');
}

/** A 503 tells the client when to try again; a route that knows better sets its own Retry-After. */
const serviceUnavailableRetryAfterSeconds = 2;

/** The ApiError a thrown value answers as (logged when it is not the client's); the ops console's pages use it too. */
export function apiErrorOf(error: unknown, request: Request, response: Response, logger: Logger): ApiError {
  const apiError = error instanceof ApiError ? error : (fromPathDecoding(error) ?? fromBodyParser((error ?? {}) as BodyParserError));
  if (apiError !== null) return apiError;
  if (isUnavailable(error)) {
    logger.warn({ err: error, path: request.path }, 'dependency unavailable');
    return new ApiError('service_unavailable', 'A dependency is unavailable; retry shortly with the same Idempotency-Key.');
  }
  logger.error({ err: error, method: request.method, path: request.path }, 'unexpected failure');
  const requestId = response.get(requestIdHeader);
  return new ApiError('internal_error', `An unexpected error occurred; it has been logged with request id ${requestId ?? 'unknown'}.`);
}

export function errorHandler(logger: Logger) {
  return (error: unknown, request: Request, response: Response, _next: NextFunction) => {
    const apiError = apiErrorOf(error, request, response, logger);
    if (response.headersSent) return;
    if (apiError.status === 503 && !response.hasHeader('retry-after')) response.set('Retry-After', String(serviceUnavailableRetryAfterSeconds));
    response.status(apiError.status).json({
      error: { code: apiError.code, message: apiError.message, ...(apiError.field === undefined ? {} : { field: apiError.field }) },
    });
  };
}

export function notFoundHandler(request: Request, _response: Response, next: NextFunction) {
  next(new ApiError('not_found', `No route ${request.method} ${request.path}.`));
}
