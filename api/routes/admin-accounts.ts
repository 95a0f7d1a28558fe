// POST /admin/accounts: creates a customer account and its first API key (shown once).
import { Router } from 'express';
import { z } from 'zod';
import { createAccount } from '../../db/accounts/create-account.ts';
import { currencies } from '../../domain/money.ts';
import { setAuditTarget } from '../admin-audit.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { parseBody, storedText } from '../validation.ts';

const createAccountBody = z.strictObject({
  email: storedText(3, 320).regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: 'must be an email address' }),
  currency: storedText(1, 10).transform((value, context) => {
    const upper = value.toUpperCase();
    if ((currencies as readonly string[]).includes(upper)) return upper as (typeof currencies)[number];
    context.addIssue({
      code: 'custom',
      message: `must be one of ${currencies.join(', ')}`,
      params: { errorCode: 'unsupported_currency' },
    });
    return z.NEVER;
  }),
});

export function adminAccountRoutes(dependencies: ApiDependencies): Router {
  const router = Router();
  router.post('/admin/accounts', async (request, response) => {
    const body = parseBody(createAccountBody, request.body);
    const account = await createAccount(dependencies.sql, body);
    setAuditTarget(response, account.accountId);
    dependencies.logger.info({ accountId: account.accountId, currency: account.currency }, 'account created');
    response.status(201).json({
      account_id: account.accountId,
      api_key: account.apiKey,
      currency: account.currency,
      email: body.email,
      created_at: account.createdAt.toISOString(),
    });
  });
  return router;
}
