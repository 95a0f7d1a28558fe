// The customer's money: GET /v1/balance, POST /v1/consumptions, GET /v1/account-flows.
import { Router } from 'express';
import { z } from 'zod';
import { getAvailableBalance } from '../../db/holds/get-available-balance.ts';
import { LedgerBusyError } from '../../db/ledger/ledger-batcher.ts';
import { listAccountFlows } from '../../db/ledger/list-account-flows.ts';
import { LedgerError } from '../../db/ledger/post-transfer.ts';
import { thresholdWatch } from '../auto-recharge/threshold-watch.ts';
import { recordConsumptionBatched } from '../../db/ledger/record-consumption.ts';
import { ApiError } from '../../domain/errors.ts';
import { formatMicros } from '../../domain/money.ts';
import { currentAccount } from '../auth.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { refuseOverSpendLimit } from '../spend-limit-refusal.ts';
import { presentFlow } from '../presenters.ts';
import { refuseRestrictedAccount } from '../account-restrictions.ts';
import { reportDepletedBalance } from '../balance-depleted.ts';
import { availableBalanceFields, currency, flowObject, listQuery, money, pageSchema, timestamp } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import {
  amountSchema,
  decodeRowIdCursor,
  pageOf,
  maximumDescriptionLength,
  maximumUserReferenceLength,
  metadataSchema,
  parseBody,
  parseChoice,
  parseIdempotencyKey,
  parseLimit,
  storedText,
} from '../validation.ts';

const consumptionBody = z.strictObject({
  amount: amountSchema,
  currency: storedText(1, 10).optional(),
  description: storedText(1, maximumDescriptionLength),
  user: storedText(1, maximumUserReferenceLength).optional(),
  metadata: metadataSchema.optional(),
});

const flowTypes = ['recharge', 'consume', 'refund', 'adjustment', 'refund_reversal', 'dispute', 'dispute_reversal', 'hold', 'release'] as const;

/** Flow cursors name their account, so a cursor from another account's list is refused, not reinterpreted. */
function flowCursorKind(accountId: string): string {
  return `flow:${accountId}`;
}

export function ledgerRoutes(dependencies: ApiDependencies): Router {
  const router = Router();
  const watch = thresholdWatch(dependencies);

  router.get('/v1/balance', async (_request, response) => {
    const account = currentAccount(response);
    const balance = await getAvailableBalance(dependencies.sql, account.accountId);
    if (balance === null) throw new Error(`account ${account.accountId} has no balance ledger account`);
    response.json({
      account_id: account.accountId,
      currency: balance.currency,
      balance: formatMicros(balance.balanceMicros),
      // Holds (POST /v1/holds): consumptions and new holds spend only from available = balance − held.
      held: formatMicros(balance.heldMicros),
      available: formatMicros(balance.availableMicros),
      updated_at: balance.updatedAt.toISOString(),
    });
  });

  router.post('/v1/consumptions', async (request, response) => {
    const account = currentAccount(response);
    const idempotencyKey = parseIdempotencyKey(request.get('idempotency-key'));
    const body = parseBody(consumptionBody, request.body);
    if (body.currency !== undefined && body.currency.toUpperCase() !== account.currency) {
      throw new ApiError('currency_mismatch', `This account holds ${account.currency}, not ${body.currency}.`, 'currency');
    }
    await refuseRestrictedAccount(dependencies.sql, account.accountId);
    await refuseOverSpendLimit(dependencies.sql, account.accountId, body.user ?? null, body.amount, 'deducted');
    try {
      const result = await recordConsumptionBatched(dependencies.ledgerBatcher, {
        accountId: account.accountId,
        currency: account.currency,
        idempotencyKey,
        amountMicros: body.amount,
        description: body.description,
        userReference: body.user ?? null,
        metadata: body.metadata ?? null,
      });
      if (result.replayed) response.set('Idempotent-Replayed', 'true');
      else watch.afterDeduction(account.accountId, body.amount, result.flow.balanceAfterMicros);
      response.status(201).json({ flow: presentFlow(result.flow), balance: formatMicros(result.flow.balanceAfterMicros) });
    } catch (error) {
      if (error instanceof LedgerError && error.code === 'insufficient_balance') {
        await reportDepletedBalance(dependencies, account.accountId, body.amount);
        throw new ApiError('insufficient_balance', 'The balance is lower than the amount; nothing was deducted.', 'amount');
      }
      if (error instanceof LedgerError && error.code === 'spend_limit_reached') {
        throw new ApiError('spend_limit_reached', 'This would take the user past their spend limit; nothing was deducted.', 'amount');
      }
      if (error instanceof LedgerError && error.code === 'idempotency_key_reused') {
        throw new ApiError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request.');
      }
      if (error instanceof LedgerBusyError) {
        throw new ApiError('service_unavailable', 'The ledger is busy; retry shortly with the same Idempotency-Key.', undefined, { cause: error });
      }
      throw error;
    }
  });

  router.get('/v1/account-flows', async (request, response) => {
    const account = currentAccount(response);
    const flowType = parseChoice('type', request.query.type, flowTypes);
    const limit = parseLimit(request.query.limit);
    const beforeEntryId = decodeRowIdCursor(flowCursorKind(account.accountId), request.query.cursor);
    // One more than asked tells whether there is a next page without a second query.
    const flows = await listAccountFlows(dependencies.sql, {
      accountId: account.accountId,
      flowType,
      beforeEntryId,
      limit: limit + 1,
    });
    response.json(pageOf(flows, limit, presentFlow, { kind: flowCursorKind(account.accountId), position: (flow) => flow.entryId }));
  });

  return router;
}

/** The contract of these routes (api/openapi). */
export const ledgerOperations = defineOperations([
  {
    method: 'get',
    path: '/v1/balance',
    operationId: 'getBalance',
    summary: 'The account\'s balance: settled, held and available',
    tag: 'Balance',
    access: 'customer',
    responses: {
      200: {
        description: '`available = balance − held` is what consumptions and new holds may spend.',
        schema: z.object({ account_id: z.string(), currency, ...availableBalanceFields, updated_at: timestamp }).meta({ id: 'Balance' }),
      },
    },
  },
  {
    method: 'post',
    path: '/v1/consumptions',
    operationId: 'createConsumption',
    summary: 'Deduct usage from the available balance',
    description: 'The usage hot path. The same Idempotency-Key and body again returns the first answer.',
    tag: 'Balance',
    access: 'customer',
    idempotencyKey: true,
    body: { schema: consumptionBody, example: { amount: '0.0125', description: 'gpt-4o, 1,250 tokens', user: 'alice' } },
    responses: {
      201: { description: 'Deducted.', replayable: true, schema: z.object({ flow: flowObject, balance: money }).meta({ id: 'Consumption' }) },
    },
    errors: ['insufficient_balance', 'spend_limit_reached', 'currency_mismatch', 'invalid_amount', 'amount_too_precise', 'amount_too_large', 'account_restricted'],
  },
  {
    method: 'get',
    path: '/v1/account-flows',
    operationId: 'listAccountFlows',
    summary: 'The account\'s money movements, newest first, each with the balance after it',
    tag: 'Balance',
    access: 'customer',
    query: listQuery({ type: z.enum(flowTypes).optional() }),
    responses: { 200: { description: 'A page of flows.', schema: pageSchema(flowObject) } },
  },
]);
