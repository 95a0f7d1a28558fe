// Request ids: every response carries X-Request-Id (the caller's when it is well-formed, else a new one),
// and every log line written while the request is handled carries it as `requestId`, so a client's
// report of a failure leads to its log lines.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../observability/logger.ts';

export const requestIdHeader = 'X-Request-Id';

/** Long enough for UUIDs, trace ids and a proxy's own formats; short and plain enough to log as is. */
const wellFormedRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

interface RequestContext {
  requestId: string;
  /** The request's child logger, made on its first line: most requests log nothing. */
  logger: Logger | null;
}

const requestContext = new AsyncLocalStorage<RequestContext>();

/** The caller's request id when it is well-formed, or a new random one. */
export function requestIdFrom(header: string | undefined): string {
  return header !== undefined && wellFormedRequestId.test(header) ? header : randomUUID();
}

/** Names each request (the X-Request-Id response header) and runs the rest of its handling in its context. */
export function assignRequestId() {
  return (request: Request, response: Response, next: NextFunction) => {
    const requestId = requestIdFrom(request.get(requestIdHeader));
    response.set(requestIdHeader, requestId);
    response.locals.requestId = requestId;
    requestContext.run({ requestId, logger: null }, next);
  };
}

/** The logger for the request being handled: `base` with its requestId, or `base` itself outside requests. */
function currentLogger(base: Logger): Logger {
  const context = requestContext.getStore();
  if (context === undefined) return base;
  context.logger ??= base.child({ requestId: context.requestId });
  return context.logger;
}

/**
 * A logger whose every line, when written while a request is handled, carries that request's id. The
 * routes, the webhook handling and the error handler are built once with this logger, so none of them
 * has to pass a per-request logger along.
 */
export function requestScopedLogger(base: Logger): Logger {
  return new Proxy(base, {
    get(target, property) {
      const logger = currentLogger(target);
      const value: unknown = Reflect.get(logger, property, logger);
      return typeof value === 'function' ? value.bind(logger) : value;
    },
  });
}
