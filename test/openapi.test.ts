// The API contract: GET /openapi.json is an OpenAPI 3.1 document of exactly the routes the app mounts,
// with every error code, the shared headers and examples; GET /docs renders it from this API alone.
// (Every response of the suite is checked against it by test/support/api.ts.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApp } from '../api/app.ts';
import { openApiPath } from '../api/openapi/document.ts';
import { apiOperations } from '../api/openapi/operations.ts';
import { loadPricing } from '../config/pricing.ts';
import { errorCodes } from '../domain/errors.ts';
import { createLogger } from '../observability/logger.ts';
import { startTestApi, type TestApi } from './support/api.ts';
import { routesOf } from './support/app-routes.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';

let database: TestDatabase;
let api: TestApi;

before(async () => {
  database = await createTestDatabase(4);
  // Without STRIPE_SECRET_KEY the sandbox pages are mounted too: the contract describes them.
  api = await startTestApi({ sql: database.sql, databaseUrl: database.url });
});
after(async () => {
  await api.close();
  await database.close();
});

interface OperationJson {
  operationId: string;
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { examples?: Record<string, unknown> }> }>;
  security: unknown[];
}

async function servedDocument() {
  const response = await api.request('GET', '/openapi.json');
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  return response.body as { openapi: string; paths: Record<string, Record<string, OperationJson>>; components: Record<string, Record<string, unknown>> };
}

test('the contract names exactly the routes the app mounts, and each operation once', async () => {
  const app = createApp({ ...({} as Parameters<typeof createApp>[0]), config: api.config, sql: database.sql, logger: createLogger('routes', 'silent'), pricing: loadPricing() });
  const mounted = [...routesOf(app)].map((route) => {
    const [method, path] = route.split(' ') as [string, string];
    return `${method} ${openApiPath(path)}`;
  });
  const document = await servedDocument();
  const described = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
  assert.deepEqual(
    [...new Set(mounted)].sort(),
    described.sort(),
    'a route the app mounts is missing from the contract, or the contract names a route the app does not serve: add it to its module\'s operations (README "Adding a route")',
  );
  const operationIds = apiOperations.map((operation) => operation.operationId);
  assert.equal(new Set(operationIds).size, operationIds.length, 'operationIds are unique');
  for (const operationId of operationIds) assert.match(operationId, /^[a-z][A-Za-z]+$/, operationId);
});

test('the document is OpenAPI 3.1 with every error code, its status, an example, and the shared headers', async () => {
  const document = await servedDocument();
  assert.equal(document.openapi, '3.1.0');
  const examples = document.components.examples as Record<string, { value: { error: { code: string } } }>;
  const errorCodeSchema = (document.components.schemas as Record<string, { enum: string[] }>).ErrorCode!;
  assert.deepEqual(errorCodeSchema.enum.sort(), Object.keys(errorCodes).sort(), 'the ErrorCode schema is the closed list of domain/errors.ts');
  const answered = new Set<string>();
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const where = `${method.toUpperCase()} ${path}`;
      for (const [status, response] of Object.entries(operation.responses)) {
        assert.ok(response.headers?.['X-Request-Id'] !== undefined, `${where} ${status} names X-Request-Id`);
        if (status === '429' || status === '503') assert.ok(response.headers?.['Retry-After'] !== undefined, `${where} ${status} names Retry-After`);
        for (const code of Object.keys(response.content?.['application/json']?.examples ?? {})) {
          assert.equal(String(errorCodes[code as keyof typeof errorCodes]?.status ?? status), status, `${where}: ${code} is listed under its own status`);
          assert.equal(examples[code]?.value.error.code, code, `${code} has an example`);
          answered.add(code);
        }
      }
      const parameters = (operation.parameters ?? []).map((parameter) => `${parameter.in} ${parameter.name}`);
      for (const name of path.match(/\{[^}]+\}/g) ?? []) assert.ok(parameters.includes(`path ${name.slice(1, -1)}`), `${where} describes its path parameter ${name}`);
      if (path.startsWith('/v1/')) assert.deepEqual(operation.security, [{ customerApiKey: [] }], `${where} takes a customer key`);
      if (path.startsWith('/admin/')) assert.deepEqual(operation.security, [{ operatorToken: [] }], `${where} takes an operator token`);
    }
  }
  // The connection-level codes (408, 431) are answered before any route; every other code is some route's.
  const unanswered = Object.keys(errorCodes).filter((code) => !answered.has(code));
  assert.deepEqual(unanswered.sort(), ['request_headers_too_large', 'request_timeout']);
  const createTopUp = document.paths['/v1/topups']!.post!;
  assert.ok(createTopUp.parameters?.some((parameter) => parameter.in === 'header' && parameter.name === 'Idempotency-Key' && parameter.required === true));
  assert.ok(createTopUp.responses['201']?.headers?.['Idempotent-Replayed'] !== undefined);
  assert.ok(document.paths['/webhooks/stripe']!.post!.parameters?.some((parameter) => parameter.name === 'Stripe-Signature' && parameter.required === true));
  assert.ok(document.components.headers?.['Refill-Signature'] !== undefined);
});

test('GET /docs renders the contract from this API alone: its own script and styles, no other origin', async () => {
  const page = await api.request('GET', '/docs');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  const policy = page.headers.get('content-security-policy') ?? '';
  assert.match(policy, /script-src 'self'/);
  assert.match(policy, /connect-src 'self'/);
  const references = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
  assert.ok(references.length >= 3, page.text);
  for (const reference of references) {
    assert.match(reference, /^\/docs\/assets\//, `${reference} is served by this API`);
    const asset = await api.request('GET', reference);
    assert.equal(asset.status, 200, reference);
    assert.ok(asset.text.length > 0, reference);
  }
  const script = await api.request('GET', '/docs/assets/start.js');
  assert.match(script.text, /url: '\/openapi\.json'/);
  const other = await api.request('GET', '/docs/assets/package.json');
  assert.equal(other.status, 404, 'only the renderer\'s own files are served');
});
