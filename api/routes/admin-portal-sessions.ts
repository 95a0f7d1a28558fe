// POST /admin/accounts/{id}/portal-sessions: a platform's server asks for a billing portal link for one
// of its customers' accounts, and hands the link to that customer's browser. The link carries a signed,
// expiring session token (ids/portal-sessions.ts), never the account's API key; opening it (GET
// /portal/sessions/:token, api/routes/portal.ts) lets that browser into /portal for that account alone.
// Nothing is stored: the token is its own record, and the audit log keeps the request.
import { Router } from 'express';
import { z } from 'zod';
import { findAccountById } from '../../db/accounts/find-account-by-id.ts';
import { ApiError } from '../../domain/errors.ts';
import { portalLocales, signPortalSession } from '../../ids/portal-sessions.ts';
import { setAuditTarget } from '../admin-audit.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { idParameter, timestamp } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import { maximumReturnUrlLength } from '../topups/payment-methods.ts';
import { parseBody, storedText } from '../validation.ts';
import { portalSessionPath } from './portal.ts';

const accountIdPattern = /^acct_[0-9a-z]{24}$/;

const createPortalSessionBody = z.strictObject({
  return_url: storedText(1, maximumReturnUrlLength)
    .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), { message: 'must be an http or https URL' })
    .meta({ description: 'Where the portal\'s "Back" link takes the customer: a page of the platform (its host in ALLOWED_REDIRECT_HOSTS).', example: 'https://shop.example.com/account' }),
  locale: z.enum(portalLocales).optional().meta({ description: 'The portal\'s language; en unless given. The customer can switch it in the portal.' }),
});

const portalSessionObject = z
  .object({
    url: z.string().meta({
      description: 'The link to give the customer\'s browser. Append `?tab=top-up&package_id=usd_100` (or `tab=orders`, …) to open one tab.',
      example: 'https://refill.example.com/portal/sessions/rps_eyJhY2NvdW50X2lkIjoi….Yk3q…',
    }),
    expires_at: timestamp,
    account_id: z.string(),
    locale: z.enum(portalLocales),
    return_url: z.string(),
  })
  .meta({ id: 'PortalSession' });

export function adminPortalSessionRoutes(dependencies: ApiDependencies): Router {
  const { sql, config } = dependencies;
  const router = Router();

  router.post('/admin/accounts/:id/portal-sessions', async (request, response) => {
    const accountId = request.params.id;
    if (typeof accountId !== 'string' || !accountIdPattern.test(accountId)) throw new ApiError('not_found', 'No such account.');
    const body = parseBody(createPortalSessionBody, request.body);
    const host = new URL(body.return_url).hostname;
    const allowedHosts = config.http.allowedRedirectHosts;
    if (!allowedHosts.includes(host)) {
      throw new ApiError('redirect_not_allowed', `return_url must point to one of the allowed hosts (${allowedHosts.join(', ')}), not ${host}.`, 'return_url');
    }
    if ((await findAccountById(sql, accountId)) === null) throw new ApiError('not_found', 'No such account.');
    const expiresAtSeconds = Math.floor(Date.now() / 1000) + config.portal.sessions.expiryMinutes * 60;
    const locale = body.locale ?? 'en';
    const token = signPortalSession(config.portal.sessions.secret, { accountId, locale, returnUrl: body.return_url, expiresAtSeconds });
    setAuditTarget(response, accountId);
    response.status(201).json({
      url: `${config.api.publicBaseUrl}${portalSessionPath(token)}`,
      expires_at: new Date(expiresAtSeconds * 1000).toISOString(),
      account_id: accountId,
      locale,
      return_url: body.return_url,
    });
  });

  return router;
}

/** The contract of this route (api/openapi). */
export const adminPortalSessionOperations = defineOperations([
  {
    method: 'post',
    path: '/admin/accounts/:id/portal-sessions',
    operationId: 'createPortalSession',
    summary: 'A signed, expiring billing portal link for one account (no API key in it)',
    description:
      'The link opens `/portal` for this account only, until `expires_at` (PORTAL_SESSION_EXPIRY_MINUTES). Give it to the customer\'s ' +
      'browser; append `?tab=top-up&package_id=…` to open a tab. A `return_url` outside ALLOWED_REDIRECT_HOSTS is `422 redirect_not_allowed`.',
    tag: 'Ops: accounts',
    access: 'admin',
    pathParameters: idParameter(accountIdPattern, 'acct_0123456789abcdefghijklmn'),
    body: { schema: createPortalSessionBody, example: { return_url: 'https://shop.example.com/account', locale: 'zh-CN' } },
    responses: { 201: { description: 'The link and when it stops working.', schema: portalSessionObject } },
    errors: ['redirect_not_allowed'],
  },
]);
