// GET /metrics: this API process's Prometheus metrics (observability/metrics.ts), for Prometheus to scrape.
// Public like /healthz: counts and timings only, no ids, no amounts of any one account.
import { Router } from 'express';
import { z } from 'zod';
import { metricsText } from '../../observability/metrics.ts';
import { defineOperations } from '../openapi/operation.ts';

export function metricsRoutes(): Router {
  const router = Router();
  router.get('/metrics', async (_request, response) => {
    const { contentType, text } = await metricsText();
    response.type(contentType).send(text);
  });
  return router;
}

/** The contract of this route (api/openapi). */
export const metricsOperations = defineOperations([
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'This API process\'s metrics, in Prometheus\'s text format',
    tag: 'Health',
    access: 'public',
    responses: { 200: { description: 'The metrics (README "Metrics").', contentType: 'text/plain', schema: z.string() } },
  },
]);
