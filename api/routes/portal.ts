// The billing portal's pages: GET /portal/sessions/:token (the link a platform hands out) checks the
// token and keeps it in the refill_portal cookie, GET /portal serves the shell the front end renders
// into, GET /portal/session hands the same-origin script its token, and GET /portal/assets/:file the
// built bundle. The cookie is only ever read here, on /portal: the script calls /v1 with the token as
// its bearer (api/auth.ts), so /v1 never accepts a cookie and stays CSRF-proof. State: none (the token is
// signed and carries its session, ids/portal-sessions.ts).
import type { Request, Response } from 'express';
import { Router } from 'express';
import { parseCookie, stringifySetCookie } from 'cookie';
import { z } from 'zod';
import { findAccountById } from '../../db/accounts/find-account-by-id.ts';
import { ApiError } from '../../domain/errors.ts';
import { portalLocales, verifyPortalSession, type PortalLocale, type PortalSessionVerdict } from '../../ids/portal-sessions.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { currency, htmlBody, timestamp } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import { portalAssetFiles, portalBundleDirectory } from '../portal-bundle.ts';
import { portalProblemPage, portalShellPage, type PortalProblem } from './portal-pages.ts';

export const portalCookieName = 'refill_portal';

/** The path of a session's link, relative to the API's public base URL. */
export function portalSessionPath(token: string): string {
  return `/portal/sessions/${token}`;
}

/** The query parameters a link may pass on to the portal (a tab, a package to preselect, an order). */
const forwardedParameters = ['tab', 'package_id', 'order_id'] as const;
const forwardedValuePattern = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * The portal pages allow their own script, styles and calls, and QR images from this origin; nothing
 * inline, nothing from elsewhere, never framed (clickjacking of Pay).
 */
const portalContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

function localeOf(value: unknown, fallback: PortalLocale): PortalLocale {
  return typeof value === 'string' && (portalLocales as readonly string[]).includes(value) ? (value as PortalLocale) : fallback;
}

function sendPage(response: Response, status: number, html: string): void {
  response.status(status).set('Content-Security-Policy', portalContentSecurityPolicy).type('html').send(html);
}

function sendProblem(response: Response, status: number, problem: PortalProblem, verdict: PortalSessionVerdict, request: Request): void {
  const session = verdict.status === 'invalid' ? null : verdict.session;
  const locale = localeOf(request.query.lang, session?.locale ?? 'en');
  sendPage(response, status, portalProblemPage(problem, locale, session?.returnUrl ?? null));
}

/** The portal's query, as the link gave it: only the forwarded parameters, each a plain short value. */
function forwardedQuery(request: Request): string {
  const kept = new URLSearchParams();
  for (const name of forwardedParameters) {
    const value = request.query[name];
    if (typeof value === 'string' && forwardedValuePattern.test(value)) kept.set(name, value);
  }
  const query = kept.toString();
  return query === '' ? '' : `?${query}`;
}

export function portalRoutes(dependencies: ApiDependencies): Router {
  const { sql, config } = dependencies;
  const secret = config.portal.sessions.secret;
  const router = Router();
  const secure = config.api.publicBaseUrl.startsWith('https:');

  /** The cookie's token, and the verdict on it; no cookie is an invalid one. */
  const cookieSession = (request: Request): { token: string; verdict: PortalSessionVerdict } => {
    const token = parseCookie(request.get('cookie') ?? '')[portalCookieName] ?? '';
    return { token, verdict: token === '' ? { status: 'invalid' } : verifyPortalSession(secret, token, new Date()) };
  };

  router.get('/portal/sessions/:token', (request, response) => {
    const token = String(request.params.token);
    const verdict = verifyPortalSession(secret, token, new Date());
    if (verdict.status === 'invalid') return sendProblem(response, 403, 'link_invalid', verdict, request);
    if (verdict.status === 'expired') return sendProblem(response, 410, 'link_expired', verdict, request);
    const maxAgeSeconds = Math.max(1, verdict.session.expiresAtSeconds - Math.floor(Date.now() / 1000));
    response.append(
      'Set-Cookie',
      stringifySetCookie({ name: portalCookieName, value: token, httpOnly: true, sameSite: 'lax', path: '/portal', secure, maxAge: maxAgeSeconds }),
    );
    response.redirect(303, `/portal${forwardedQuery(request)}`);
  });

  router.get('/portal', (request, response) => {
    const { verdict } = cookieSession(request);
    if (verdict.status !== 'valid') return sendProblem(response, 401, 'session_ended', verdict, request);
    sendPage(response, 200, portalShellPage(localeOf(request.query.lang, verdict.session.locale)));
  });

  router.get('/portal/session', async (request, response) => {
    const { token, verdict } = cookieSession(request);
    if (verdict.status !== 'valid') throw new ApiError('unauthorized', 'The portal session has ended; open the portal again from the platform.');
    const account = await findAccountById(sql, verdict.session.accountId);
    if (account === null) throw new ApiError('unauthorized', 'The portal session names no account.');
    response.json({
      token,
      account_id: account.accountId,
      currency: account.currency,
      locale: verdict.session.locale,
      return_url: verdict.session.returnUrl,
      expires_at: new Date(verdict.session.expiresAtSeconds * 1000).toISOString(),
      // Shown on the top-up tab's bank transfer form before the order exists; the order carries its copy.
      bank_transfer_payee: {
        bank_name: config.bankTransfers.payee.bankName,
        account_name: config.bankTransfers.payee.accountName,
        account_number: config.bankTransfers.payee.accountNumber,
        deadline_business_days: config.bankTransfers.deadlineBusinessDays,
      },
    });
  });

  router.get('/portal/assets/:file', (request, response, next) => {
    const file = String(request.params.file);
    if (!(portalAssetFiles as readonly string[]).includes(file)) throw new ApiError('not_found', 'No such portal asset.');
    // Revalidated by ETag on every load, so a rebuilt bundle is picked up at once; a 304 costs no body.
    response.set('Cache-Control', 'no-cache');
    response.type(file.endsWith('.js') ? 'text/javascript' : 'text/css');
    response.sendFile(file, { root: portalBundleDirectory, dotfiles: 'deny', lastModified: false, cacheControl: false }, (error) => {
      if (error === undefined) return;
      if (response.headersSent) return next(error);
      next(new ApiError('not_found', 'The portal is not built here: run npm run build.'));
    });
  });

  return router;
}

const pageResponse = (description: string) => ({ description, contentType: 'text/html', schema: htmlBody });

/** The contract of these routes (api/openapi). */
export const portalOperations = defineOperations([
  {
    method: 'get',
    path: '/portal/sessions/:token',
    operationId: 'openPortalSession',
    summary: 'Opens the billing portal from a portal session link (POST /admin/accounts/{id}/portal-sessions)',
    description:
      'Sets the `refill_portal` cookie (HttpOnly, SameSite=Lax, Path=/portal, Secure over https, until the session expires) and sends ' +
      'the browser to `/portal`, keeping `tab`, `package_id` and `order_id`. A forged or cut link is a 403 page, an expired one a 410 page.',
    tag: 'Billing portal',
    access: 'public',
    pathParameters: z.object({ token: z.string().meta({ description: 'The session token (rps_…), as the link gives it.' }) }),
    query: z.object({
      tab: z.string().optional().meta({ description: 'The tab to open: overview, top-up, result, orders, …', example: 'top-up' }),
      package_id: z.string().optional().meta({ description: 'The package the top-up tab preselects.', example: 'usd_100' }),
      order_id: z.string().optional().meta({ description: 'The order the result tab shows.' }),
    }),
    responses: {
      303: { description: 'To /portal, with the session in its cookie.', headers: { Location: { description: '/portal?tab=…', schema: z.string() } } },
      403: pageResponse('The link is not one this installation signed: a page saying to open the portal again from the platform.'),
      410: pageResponse('The link has expired: a page saying to open the portal again, with a link back to the platform.'),
    },
    errors: ['rate_limited'],
  },
  {
    method: 'get',
    path: '/portal',
    operationId: 'getPortal',
    summary: 'The billing portal (needs the cookie a session link sets)',
    tag: 'Billing portal',
    access: 'public',
    query: z.object({
      tab: z.string().optional(),
      package_id: z.string().optional(),
      order_id: z.string().optional(),
      lang: z.enum(portalLocales).optional().meta({ description: 'The language, when the customer switched it.' }),
    }),
    responses: {
      200: pageResponse('The portal\'s page; its script renders the tabs.'),
      401: pageResponse('No session, or it ended: a page saying to open the portal again from the platform.'),
    },
    errors: ['rate_limited'],
  },
  {
    method: 'get',
    path: '/portal/session',
    operationId: 'getPortalSession',
    summary: 'The portal page\'s session (cookie): the bearer token its script calls /v1 with',
    description: 'Answers only with the `refill_portal` cookie; without CORS, no other site\'s page can read it.',
    tag: 'Billing portal',
    access: 'public',
    responses: {
      200: {
        description: 'The session.',
        schema: z
          .object({
            token: z.string().meta({ description: 'The bearer token for /v1 (rps_…): good for the portal\'s routes only.' }),
            account_id: z.string(),
            currency,
            locale: z.enum(portalLocales),
            return_url: z.string(),
            expires_at: timestamp,
            bank_transfer_payee: z
              .object({ bank_name: z.string(), account_name: z.string(), account_number: z.string(), deadline_business_days: z.number().int() })
              .meta({ description: 'The company account bank transfers go to (BANK_TRANSFER_*), and the business days a transfer has.' }),
          })
          .meta({ id: 'PortalPageSession' }),
      },
    },
    errors: ['unauthorized', 'rate_limited'],
  },
  {
    method: 'get',
    path: '/portal/assets/:file',
    operationId: 'getPortalAsset',
    summary: 'The portal\'s built script and styles',
    tag: 'Billing portal',
    access: 'public',
    pathParameters: z.object({ file: z.enum(portalAssetFiles) }),
    responses: { 200: { description: 'The file.', contentType: ['text/javascript', 'text/css'], schema: z.string() } },
    errors: ['rate_limited'],
  },
]);
