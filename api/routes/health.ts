// GET /healthz (the process is up) and GET /readyz (Postgres and Temporal both answer).
import { Router } from 'express';
import type { ApiDependencies } from '../dependencies.ts';

/** A dependency that does not answer within this time is reported as down. */
const readinessCheckTimeoutMilliseconds = 2_000;

async function withinDeadline(check: () => Promise<unknown>): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'down'>((resolve) => {
    timer = setTimeout(() => resolve('down'), readinessCheckTimeoutMilliseconds);
  });
  const result = check().then(
    () => 'up' as const,
    () => 'down' as const,
  );
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
    const [postgres, temporal] = await Promise.all([
      withinDeadline(() => dependencies.sql`select 1`),
      withinDeadline(() => dependencies.temporalConnection.healthService.check({})),
    ]);
    const ready = postgres === 'up' && temporal === 'up';
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: { postgres, temporal } });
  });
  return router;
}
