// GET /healthz (the process is up) and GET /readyz (an order can be created: Postgres and Temporal answer,
// the search attributes exist, a worker polls the order task queue; api/readiness.ts).
import { Router } from 'express';
import { z } from 'zod';
import { defineOperations } from '../openapi/operation.ts';
import type { ApiDependencies } from '../dependencies.ts';

/** A dependency that does not answer within this time is reported as down. */
const readinessCheckTimeoutMilliseconds = 2_000;

async function withinDeadline(check: () => Promise<unknown>): Promise<'up' | 'down'> {
  return (await holdsWithinDeadline(async () => (await check(), true))) ? 'up' : 'down';
}

/** Whether the check answered true in time; false when it said no, failed or was late. */
async function holdsWithinDeadline(check: () => Promise<boolean>, onFailure?: (error: unknown) => void): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), readinessCheckTimeoutMilliseconds);
  });
  const result = check().catch((error: unknown) => {
    onFailure?.(error);
    return false;
  });
  try {
    return await Promise.race([result, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(dependencies: ApiDependencies): Router {
  const router = Router();
  router.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  router.get('/readyz', async (_request, response) => {
    const readiness = dependencies.readiness!;
    const [postgres, temporal, searchAttributes, worker] = await Promise.all([
      withinDeadline(() => dependencies.sql`select 1`),
      withinDeadline(() => dependencies.temporalConnection.healthService.check({})),
      holdsWithinDeadline(() => readiness.searchAttributesRegistered(), (err) => dependencies.logger.warn({ err }, 'readiness: search attributes not readable')),
      holdsWithinDeadline(() => readiness.workerPolling(), (err) => dependencies.logger.warn({ err }, 'readiness: task queue not readable')),
    ]);
    const checks = {
      postgres,
      temporal,
      search_attributes: searchAttributes ? ('registered' as const) : ('missing' as const),
      worker: worker ? ('polling' as const) : ('absent' as const),
    };
    const ready = postgres === 'up' && temporal === 'up' && searchAttributes && worker;
    if (!ready) response.set('Retry-After', '2');
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks });
  });
  return router;
}

const readinessObject = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    checks: z.object({
      postgres: z.enum(['up', 'down']),
      temporal: z.enum(['up', 'down']),
      search_attributes: z.enum(['registered', 'missing']),
      worker: z.enum(['polling', 'absent']),
    }),
  })
  .meta({ id: 'Readiness' });

/** The contract of these routes (api/openapi). */
export const healthOperations = defineOperations([
  {
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    summary: 'The process is up',
    tag: 'Health',
    access: 'public',
    responses: { 200: { description: 'Up.', schema: z.object({ status: z.literal('ok') }) } },
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'getReadiness',
    summary: 'An order can be created: PostgreSQL and Temporal answer, the search attributes exist, a worker polls',
    tag: 'Health',
    access: 'public',
    responses: {
      200: { description: 'Ready.', schema: readinessObject },
      503: {
        description: 'Not ready: the checks say what is missing.',
        schema: readinessObject,
        headers: { 'Retry-After': { description: 'Seconds to wait before asking again.', schema: z.string().regex(/^\d+$/) } },
      },
    },
  },
]);
