// The ops console: server-rendered HTML pages for the queues ops work from, under /ops.
//   GET  /ops/sign-in, POST /ops/sign-in {token}       an operator's admin token starts a session
//   POST /ops/sign-out                                 ends it, server-side
//   GET  /ops                                          the queues, with how many items each holds
//   GET  /ops/<queue>                                  one queue (api/ops/queues/)
//   POST /ops/topups/:id/start-review | confirm-transfer | reject-transfer | resolve-review
//   POST /ops/payment-exceptions/:id/resolve
//   POST /ops/refunds/:id/approve | reject | confirm-payout
// An action's path is its /admin route's with /ops in front; it runs the same function that route runs
// (the same validations, error codes and effects), is recorded in the audit log as the operator of the
// session (api/admin-audit.ts), and answers with its queue's page showing the outcome or the error.
// Sessions and CSRF: api/ops/ops-sessions.ts.
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { auditAdminWrites } from '../admin-audit.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { apiErrorOf } from '../error-handler.ts';
import { htmlBody } from '../openapi/objects.ts';
import { defineOperations, type ApiOperation } from '../openapi/operation.ts';
import { adminPaymentExceptionOperations } from './admin-payment-exceptions.ts';
import { adminRefundOperations } from './admin-refunds.ts';
import { adminTopUpOperations } from './admin-topups.ts';
import { z } from 'zod';
import { consoleContentSecurityPolicy, consolePage, consoleStylesheet, errorNotice, escapeHtml, opsQueues, successNotice } from '../ops/ops-pages.ts';
import { csrfField, currentOpsSession, refuseForeignOrigin, requireOpsSession, sessionOf, signIn, signOut } from '../ops/ops-sessions.ts';
import { opsActionPaths, opsActions, type OpsAction } from '../ops/ops-actions.ts';
import { maximumQueueItems, type OpsQueue, type QueueContext } from '../ops/queues/ops-queue.ts';
import { consoleQueues } from '../ops/queues/queues.ts';

/** Forms are a few short fields; anything larger is refused before it is parsed. */
const maximumFormSize = '16kb';
const maximumFormFields = 20;
const formBody = express.urlencoded({ extended: false, limit: maximumFormSize, parameterLimit: maximumFormFields, type: 'application/x-www-form-urlencoded' });

/** The headers every console page carries: its own CSP, and a Referrer-Policy that lets its forms show their origin. */
const consoleHeaders: RequestHandler = (_request, response, next) => {
  response.set({ 'Content-Security-Policy': consoleContentSecurityPolicy, 'Referrer-Policy': 'same-origin' });
  next();
};

function signInPage(notice = ''): string {
  const form =
    '<form method="post" action="/ops/sign-in"><label for="token">Operator token</label>' +
    '<input type="password" id="token" name="token" required autocomplete="current-password" aria-describedby="token-hint">' +
    '<p class="hint" id="token-hint">Your admin token (ADMIN_TOKENS). Actions are recorded under your operator name.</p>' +
    '<button type="submit">Sign in</button></form>';
  return consolePage({ title: 'Sign in to the ops console', session: null, notice }, form);
}

/** Fields a form sent empty are left out, as a JSON client leaves out an optional field it has no value for. */
function withoutEmptyFields(body: unknown): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string' && value.trim() === '') continue;
    fields[name] = value;
  }
  return fields;
}

export type AuthenticationFailureCounter = (authenticate: RequestHandler) => RequestHandler[];

export function opsConsoleRoutes(dependencies: ApiDependencies, countFailures: AuthenticationFailureCounter): Router {
  const { sql, config, logger } = dependencies;
  const router = Router();
  const session = requireOpsSession(sql, config);
  const actions = opsActions(dependencies);
  const queueByPath = new Map(consoleQueues.map((queue) => [queue.path, queue]));

  function contextOf(response: Response): QueueContext {
    return { csrfToken: currentOpsSession(response).csrfToken, temporalUiUrl: config.opsConsole.temporalUiUrl, namespace: config.temporal.namespace, now: new Date() };
  }

  async function queuePage(queue: OpsQueue<unknown>, response: Response, notice = ''): Promise<string> {
    const items = await queue.list(dependencies, maximumQueueItems);
    const context = contextOf(response);
    const body = items.length === 0 ? `<p>No ${escapeHtml(queue.emptyText)} right now.</p>` : items.map((item) => queue.render(item, context)).join('');
    const opsSession = currentOpsSession(response);
    return consolePage({ title: queue.title, session: opsSession, current: queue.path, notice }, `<p>${items.length} listed, oldest first.</p>${body}`);
  }

  router.use('/ops', consoleHeaders);
  router.get('/ops/console.css', (_request, response) => {
    response.set('Cache-Control', 'private, max-age=300').type('text/css').send(consoleStylesheet);
  });

  router.get('/ops/sign-in', async (request, response) => {
    if ((await sessionOf(sql, request)) !== null) return response.redirect(303, '/ops');
    response.type('html').send(signInPage());
  });

  const checkSignIn: RequestHandler = async (request, response) => {
    refuseForeignOrigin(request, config);
    const opsSession = await signIn(sql, config, response, (request.body as Record<string, unknown> | undefined)?.token);
    logger.info({ operator: opsSession.operator }, 'ops console sign-in');
    response.redirect(303, '/ops');
  };
  router.post('/ops/sign-in', formBody, ...countFailures(checkSignIn));

  router.post('/ops/sign-out', formBody, session, async (_request, response) => {
    await signOut(sql, config, currentOpsSession(response), response);
    response.redirect(303, '/ops/sign-in');
  });

  router.get('/ops', session, async (_request, response) => {
    const rows = await Promise.all(
      consoleQueues.map(async (queue) => {
        const count = (await queue.list(dependencies, maximumQueueItems + 1)).length;
        const shown = count > maximumQueueItems ? `${maximumQueueItems}+` : String(count);
        return `<tr><th scope="row"><a href="${queue.path}">${escapeHtml(queue.title)}</a></th><td>${shown}</td></tr>`;
      }),
    );
    const table = `<table class="counts"><caption class="hint">Items waiting in each queue</caption><thead><tr><th scope="col">Queue</th><th scope="col">Waiting</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
    response.type('html').send(consolePage({ title: 'Ops queues', session: currentOpsSession(response), current: '/ops' }, table));
  });

  for (const queue of consoleQueues) {
    router.get(queue.path, session, async (_request, response) => {
      response.type('html').send(await queuePage(queue, response));
    });
  }

  const audit = auditAdminWrites(sql, logger);
  for (const action of actions) {
    router.post(action.path, formBody, session, audit, async (request, response) => {
      const queue = queueByPath.get(action.queue)!;
      const outcome = await runAction(action, request, response);
      response.type('html').send(await queuePage(queue, response, outcome));
    });
  }

  /** Runs the action; its answer's status is the /admin route's (200, or the error's), and the notice says what happened. */
  async function runAction(action: OpsAction, request: Request, response: Response): Promise<string> {
    try {
      const done = await action.run(String(request.params.id), withoutEmptyFields(request.body), currentOpsSession(response).operator);
      return successNotice(done);
    } catch (error) {
      const apiError = apiErrorOf(error, request, response, logger);
      response.status(apiError.status);
      return errorNotice(apiError);
    }
  }

  // Refusals before a page could be built (no session, CSRF, a wrong token, a rate limit) are pages too.
  router.use('/ops', (error: unknown, request: Request, response: Response, next: NextFunction) => {
    if (response.headersSent) return next(error);
    const apiError = apiErrorOf(error, request, response, logger);
    response.status(apiError.status).type('html');
    if (request.path === '/sign-in' && apiError.code !== 'csrf_refused') return response.send(signInPage(errorNotice(apiError)));
    const again = '<p><a href="/ops">Back to the console</a> (sign in again if your session has ended).</p>';
    response.send(consolePage({ title: apiError.code === 'csrf_refused' ? 'Refused: nothing changed' : 'Not done', session: null }, `${errorNotice(apiError)}${again}`));
  });

  return router;
}

const consoleErrors = ['rate_limited', 'payload_too_large', 'csrf_refused'] as const;
const pageResponse = { description: 'The page.', contentType: 'text/html', schema: htmlBody };
const toSignIn = { description: 'Without a session: to /ops/sign-in.', headers: { Location: { description: 'Where the browser goes next.', schema: z.string() } } };
const formSchema = z.object({ [csrfField]: z.string().meta({ description: 'The session\'s CSRF token, from the page the form is on.' }) }).catchall(z.string());

/** "/ops/topups/:id/start-review" → "opsTopupsStartReview": an operationId from a console path. */
function operationIdOf(path: string, suffix: string): string {
  const words = path.split(/[/-]/).filter((word) => word !== '' && !word.startsWith(':'));
  return words.map((word, index) => (index === 0 ? word : `${word[0]!.toUpperCase()}${word.slice(1)}`)).join('') + suffix;
}

/** The /admin route an action mirrors, for the error codes it can answer. */
const adminOperations: readonly ApiOperation[] = [...adminTopUpOperations, ...adminPaymentExceptionOperations, ...adminRefundOperations];
const adminErrorsOf = (path: string) => adminOperations.find((operation) => operation.method === 'post' && operation.path === path.replace(/^\/ops/, '/admin'))?.errors ?? [];

/** The contract of the console's pages and forms (api/openapi): HTML, errors included. */
export const opsConsoleOperations = defineOperations([
  { method: 'get', path: '/ops/console.css', operationId: 'opsConsoleStylesheet', summary: 'The console\'s stylesheet', tag: 'Ops console', access: 'public', responses: { 200: { description: 'CSS.', contentType: 'text/css', schema: htmlBody } }, errors: ['rate_limited'], htmlErrors: true },
  { method: 'get', path: '/ops/sign-in', operationId: 'opsSignInPage', summary: 'The sign-in page (to /ops when already signed in)', tag: 'Ops console', access: 'public', responses: { 200: pageResponse, 303: toSignIn }, errors: ['rate_limited'], htmlErrors: true },
  {
    method: 'post',
    path: '/ops/sign-in',
    operationId: 'opsSignIn',
    summary: 'Sign in with an operator\'s admin token: a session cookie (refill_ops), then to /ops',
    tag: 'Ops console',
    access: 'public',
    body: { schema: z.object({ token: z.string() }), contentType: 'application/x-www-form-urlencoded' },
    responses: { 303: { description: 'Signed in: to /ops, with the session cookie.', headers: toSignIn.headers } },
    errors: [...consoleErrors, 'unauthorized'],
    htmlErrors: true,
  },
  { method: 'post', path: '/ops/sign-out', operationId: 'opsSignOut', summary: 'End the session, server-side', tag: 'Ops console', access: 'public', body: { schema: formSchema, contentType: 'application/x-www-form-urlencoded' }, responses: { 303: { description: 'Signed out: to /ops/sign-in.', headers: toSignIn.headers } }, errors: consoleErrors, htmlErrors: true },
  { method: 'get', path: '/ops', operationId: 'opsHomePage', summary: 'The queues, with how many items each holds', tag: 'Ops console', access: 'public', responses: { 200: pageResponse, 303: toSignIn }, errors: ['rate_limited'], htmlErrors: true },
  ...opsQueues.map(
    (queue): ApiOperation => ({ method: 'get', path: queue.path, operationId: operationIdOf(queue.path, 'Page'), summary: `Queue: ${queue.title}`, tag: 'Ops console', access: 'public', responses: { 200: pageResponse, 303: toSignIn }, errors: ['rate_limited'], htmlErrors: true }),
  ),
  ...opsActionPaths.map(
    (path): ApiOperation => ({
      method: 'post',
      path,
      operationId: operationIdOf(path, ''),
      summary: `The console's form for POST ${path.replace(/^\/ops/, '/admin')}: the same action, answered with its queue's page`,
      tag: 'Ops console',
      access: 'public',
      pathParameters: z.object({ id: z.string() }),
      body: { schema: formSchema, contentType: 'application/x-www-form-urlencoded' },
      responses: { 200: { ...pageResponse, description: 'The queue, with what was done.' }, 409: { ...pageResponse, description: 'The queue, with why it was not done.' } },
      errors: [...consoleErrors, 'not_found', 'invalid_request', 'missing_field', 'invalid_field', ...adminErrorsOf(path)],
      htmlErrors: true,
    }),
  ),
]);
