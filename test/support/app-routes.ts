// The routes an Express app serves, read from its router's stack: the fuzz table and the API contract
// are each held to them (test/api-property-fuzz.test.ts, test/openapi.test.ts).
import type { Express } from 'express';

/** Every `METHOD /path` the Express router serves (`GET /v1/holds/:id`). */
export function routesOf(app: Express): Set<string> {
  interface Layer {
    route?: { path: string; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
  }
  const found = new Set<string>();
  const visit = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route !== undefined) {
        for (const method of Object.keys(layer.route.methods)) found.add(`${method.toUpperCase()} ${layer.route.path}`);
      } else if (layer.handle?.stack !== undefined) {
        visit(layer.handle.stack);
      }
    }
  };
  visit((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return found;
}
