// POST /admin/accounts: creates a customer account and its first API key (shown once).
import { Router } from 'express';
import { z } from 'zod';
import { createAccount } from '../../db/accounts/create-account.ts';
import { currencies } from '../../domain/money.ts';
import { setAuditTarget } from '../admin-audit.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { currency, timestamp } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
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

/** The contract of this route (api/openapi). */
export const adminAccountOperations = defineOperations([
  {
    method: 'post',
    path: '/admin/accounts',
    operationId: 'createAccount',
    summary: 'Create a customer account and its first API key (shown once)',
    tag: 'Ops: accounts',
    access: 'admin',
    body: { schema: createAccountBody, example: { email: 'you@example.com', currency: 'USD' } },
    responses: {
      201: {
        description: 'The account; the key is stored only as a hash and never shown again.',
        schema: z
          .object({ account_id: z.string(), api_key: z.string().meta({ example: 'rfk_…' }), currency, email: z.string(), created_at: timestamp })
          .meta({ id: 'CreatedAccount' }),
      },
    },
    errors: ['unsupported_currency'],
  },
]);
