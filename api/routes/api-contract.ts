// The API contract, served: GET /openapi.json (the OpenAPI 3.1 document, built once per process from the
// route modules' operations, api/openapi) and GET /docs, the API reference page: Swagger UI from the
// swagger-ui-dist package in node_modules, so it works offline and loads nothing from elsewhere.
import { createRequire } from 'node:module';
import path from 'node:path';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { ApiError } from '../../domain/errors.ts';
import { defineOperations } from '../openapi/operation.ts';

const swaggerUiFolder = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The renderer's files the page loads; nothing else of the package is served. */
const rendererFiles = ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png'] as const;

/** The page loads its own script and styles, and the document from this origin; nothing is inline but styles. */
const docsContentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/** The renderer's files change only with the package: a browser may keep them for a day. */
const assetCacheControl = 'public, max-age=86400';

const docsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Refill API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="reference"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/start.js"></script></body></html>`;

/** Starts Swagger UI on /openapi.json; a file of its own, since the page allows no inline script. */
const startScript = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#reference', deepLinking: true, tryItOutEnabled: false, validatorUrl: null });
});
`;

function docsHeaders(response: Response, cacheControl: string): Response {
  return response.set({ 'Content-Security-Policy': docsContentSecurityPolicy, 'Cache-Control': cacheControl });
}

/** The routes above; `document` builds the OpenAPI document (once: its JSON is kept). */
export function apiContractRoutes(document: () => unknown): Router {
  const router = Router();
  let documentJson: string | null = null;

  router.get('/openapi.json', (_request, response) => {
    documentJson ??= JSON.stringify(document());
    response.type('application/json').send(documentJson);
  });

  router.get('/docs', (_request, response) => {
    docsHeaders(response, 'no-store').type('html').send(docsPage);
  });

  router.get('/docs/assets/:file', (request, response, next) => {
    const file = request.params.file;
    if (file === 'start.js') {
      docsHeaders(response, assetCacheControl).type('text/javascript').send(startScript);
      return;
    }
    if (!(rendererFiles as readonly string[]).includes(file)) return next(new ApiError('not_found', 'No such file of the API reference.'));
    docsHeaders(response, assetCacheControl).sendFile(path.join(swaggerUiFolder, file), (error) => {
      if (error !== undefined) next(error);
    });
  });

  return router;
}

/** The contract of these routes (api/openapi). */
export const apiContractOperations = defineOperations([
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document: the API contract, OpenAPI 3.1',
    tag: 'Contract',
    access: 'public',
    responses: { 200: { description: 'The OpenAPI document.', schema: z.record(z.string(), z.unknown()) } },
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'getApiReference',
    summary: 'The API reference page (Swagger UI, served from this API)',
    tag: 'Contract',
    access: 'public',
    responses: { 200: { description: 'The page.', contentType: 'text/html', schema: z.string() } },
  },
  {
    method: 'get',
    path: '/docs/assets/:file',
    operationId: 'getApiReferenceAsset',
    summary: 'A file of the API reference page',
    tag: 'Contract',
    access: 'public',
    pathParameters: z.object({ file: z.enum([...rendererFiles, 'start.js']) }),
    responses: {
      200: { description: 'The file (CSS, JavaScript or an icon).', contentType: ['text/css', 'text/javascript', 'image/png'], schema: z.string().meta({ format: 'binary' }) },
    },
  },
]);
