// Spend limits per user: PUT /v1/spend-limits/:user, GET /v1/spend-limits, DELETE /v1/spend-limits/:user.
import { Router } from 'express';
import { z } from 'zod';
import { deleteSpendLimit } from '../../db/spend-limits/delete-spend-limit.ts';
import { listSpendLimits } from '../../db/spend-limits/list-spend-limits.ts';
import { putSpendLimit, TooManySpendLimitsError } from '../../db/spend-limits/put-spend-limit.ts';
import { spendPeriods, type SpendLimit } from '../../db/spend-limits/spend-limit.ts';
import { ApiError } from '../../domain/errors.ts';
import { formatMicros } from '../../domain/money.ts';
import { currentAccount } from '../auth.ts';
import { money, timestamp } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { amountSchema, maximumUserReferenceLength, parseBody, textProblem } from '../validation.ts';

const putBody = z.strictObject({
  amount: amountSchema,
  period: z.enum(spendPeriods as ['day', 'week', 'month']),
});

/** The user named in the path: the same text rule and length as the `user` field of consumptions. */
function userParameter(value: string | string[] | undefined): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maximumUserReferenceLength || textProblem(value) !== null) {
    throw new ApiError('invalid_field', `The user in the path must be 1 to ${maximumUserReferenceLength} characters of text.`, 'user');
  }
  return value;
}

export function presentSpendLimit(limit: SpendLimit) {
  return {
    user: limit.userReference,
    amount: formatMicros(limit.amountMicros),
    period: limit.period,
    spent: formatMicros(limit.spentMicros),
    held: formatMicros(limit.heldMicros),
    remaining: formatMicros(limit.amountMicros - limit.spentMicros - limit.heldMicros),
    period_start: limit.periodStart.toISOString(),
    resets_at: limit.resetsAt.toISOString(),
  };
}

export function spendLimitRoutes(dependencies: ApiDependencies): Router {
  const router = Router();

  router.put('/v1/spend-limits/:user', async (request, response) => {
    const account = currentAccount(response);
    const userReference = userParameter(request.params.user);
    const body = parseBody(putBody, request.body);
    try {
      const limit = await putSpendLimit(dependencies.sql, { accountId: account.accountId, userReference, amountMicros: body.amount, period: body.period });
      response.json(presentSpendLimit(limit));
    } catch (error) {
      if (error instanceof TooManySpendLimitsError) throw new ApiError('too_many_spend_limits', error.message);
      throw error;
    }
  });

  router.get('/v1/spend-limits', async (_request, response) => {
    const account = currentAccount(response);
    const limits = await listSpendLimits(dependencies.sql, account.accountId);
    response.json({ data: limits.map(presentSpendLimit) });
  });

  router.delete('/v1/spend-limits/:user', async (request, response) => {
    const account = currentAccount(response);
    const userReference = userParameter(request.params.user);
    if (!(await deleteSpendLimit(dependencies.sql, account.accountId, userReference))) {
      throw new ApiError('not_found', 'This user has no spend limit.');
    }
    response.status(204).end();
  });

  return router;
}

const spendLimitObject = z
  .object({
    user: z.string(),
    amount: money,
    period: z.enum(['day', 'week', 'month']),
    spent: money,
    held: money,
    remaining: money.meta({ description: 'amount − spent − held; negative when the user is past the limit.' }),
    period_start: timestamp,
    resets_at: timestamp,
  })
  .meta({ id: 'SpendLimit' });

const userParameters = z.object({ user: z.string().min(1).max(maximumUserReferenceLength).meta({ example: 'alice' }) });

/** The contract of these routes (api/openapi). */
export const spendLimitOperations = defineOperations([
  {
    method: 'put',
    path: '/v1/spend-limits/:user',
    operationId: 'putSpendLimit',
    summary: 'Set a user\'s spend limit for a period (UTC; weeks start on Monday)',
    tag: 'Spend limits',
    access: 'customer',
    pathParameters: userParameters,
    body: { schema: putBody, example: { amount: '25.00', period: 'month' } },
    responses: { 200: { description: 'The limit, with what the user spent and holds in the current period.', schema: spendLimitObject } },
    errors: ['invalid_amount', 'amount_too_precise', 'amount_too_large', 'too_many_spend_limits'],
  },
  {
    method: 'get',
    path: '/v1/spend-limits',
    operationId: 'listSpendLimits',
    summary: 'Every spend limit of the account',
    tag: 'Spend limits',
    access: 'customer',
    responses: { 200: { description: 'The limits.', schema: z.object({ data: z.array(spendLimitObject) }) } },
  },
  {
    method: 'delete',
    path: '/v1/spend-limits/:user',
    operationId: 'deleteSpendLimit',
    summary: 'Remove a user\'s spend limit',
    tag: 'Spend limits',
    access: 'customer',
    pathParameters: userParameters,
    responses: { 204: { description: 'Removed.' } },
    errors: ['invalid_field'],
  },
]);
