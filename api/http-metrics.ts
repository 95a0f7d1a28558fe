// Counts every answer of the API in refill_http_requests_total and times it in
// refill_http_request_duration_seconds (observability/metrics.ts), labelled with the route template of
// the contract (`/v1/holds/{id}`), never the raw path: a client cannot make a series per request. A path
// no operation serves is `unmatched`. On the hot path this is a map lookup and two metric updates.
import type { RequestHandler } from 'express';
import { httpRequestDuration, httpRequests } from '../observability/metrics.ts';
import { openApiPath } from './openapi/document.ts';
import type { ApiOperation } from './openapi/operation.ts';

interface TemplatedRoute {
  method: string;
  pattern: RegExp;
  template: string;
}

/** A function from a request's method and path to the template of the operation that serves it. */
export function routeTemplates(operations: readonly ApiOperation[]): (method: string, path: string) => string {
  const literal = new Map<string, string>();
  const templated: TemplatedRoute[] = [];
  for (const operation of operations) {
    const method = operation.method.toUpperCase();
    const template = openApiPath(operation.path);
    if (!operation.path.includes(':')) {
      literal.set(`${method} ${operation.path}`, template);
      continue;
    }
    const pattern = new RegExp(`^${operation.path.replace(/:[A-Za-z_]+/g, '[^/]+')}$`);
    templated.push({ method, pattern, template });
  }
  return (method, path) => {
    // HEAD is answered by the GET route.
    const routeMethod = method === 'HEAD' ? 'GET' : method;
    const exact = literal.get(`${routeMethod} ${path}`);
    if (exact !== undefined) return exact;
    for (const route of templated) if (route.method === routeMethod && route.pattern.test(path)) return route.template;
    return 'unmatched';
  };
}

const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

/** The middleware; mounted first, so that every answer, a refusal included, is counted. */
export function recordHttpMetrics(operations: readonly ApiOperation[]): RequestHandler {
  const templateOf = routeTemplates(operations);
  return (request, response, next) => {
    const startedNanoseconds = process.hrtime.bigint();
    response.once('finish', () => {
      const url = request.originalUrl;
      const queryStart = url.indexOf('?');
      const method = knownMethods.has(request.method) ? request.method : 'OTHER';
      const labels = { method, route: templateOf(method, queryStart === -1 ? url : url.slice(0, queryStart)), status: String(response.statusCode) };
      httpRequests.inc(labels);
      httpRequestDuration.observe(labels, Number(process.hrtime.bigint() - startedNanoseconds) / 1e9);
    });
    next();
  };
}
