// Holds for in-flight usage: POST /v1/holds, POST /v1/holds/:id/extend|capture|void, GET /v1/holds,
// GET /v1/holds/:id. Every change goes through the ledger batcher, as consumptions do (db/holds).
import { Router, type Response } from 'express';
import { z } from 'zod';
import { createHold } from '../../db/holds/create-hold.ts';
import { extendHold } from '../../db/holds/extend-hold.ts';
import { getAvailableBalance, type AvailableBalance } from '../../db/holds/get-available-balance.ts';
import { readHold, type HoldStatus, type StoredHold } from '../../db/holds/hold.ts';
import { HoldRefusal } from '../../db/holds/hold-refusal.ts';
import { listHolds } from '../../db/holds/list-holds.ts';
import { settleHold } from '../../db/holds/settle-hold.ts';
import { LedgerBusyError } from '../../db/ledger/ledger-batcher.ts';
import { ApiError } from '../../domain/errors.ts';
import { formatMicros } from '../../domain/money.ts';
import { currentAccount } from '../auth.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { thresholdWatch } from '../auto-recharge/threshold-watch.ts';
import { refuseOverSpendLimit } from '../spend-limit-refusal.ts';
import { holdObject, holdStatus, holdWithBalanceObject, idParameter, listQuery, pageSchema } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import {
  amountSchema,
  decodeRowIdCursor,
  maximumDescriptionLength,
  maximumUserReferenceLength,
  metadataSchema,
  pageOf,
  parseBody,
  parseChoice,
  parseIdempotencyKey,
  parseLimit,
  storedText,
} from '../validation.ts';

export const defaultHoldExpiry_seconds = 600;
export const maximumHoldExpiry_seconds = 86_400;
const holdIdPattern = /^hold_[0-9a-z]{24}$/;
const holdStatuses: readonly HoldStatus[] = ['active', 'captured', 'voided', 'expired'];

const expiresInSecondsSchema = z.number().int().min(1).max(maximumHoldExpiry_seconds);

/** A capture may take nothing ("0"): the whole hold is then released. */
const captureAmountSchema = z.unknown().transform((value, context) => {
  if (typeof value === 'string' && /^0+(\.0{1,6})?$/.test(value)) return 0n;
  const parsed = amountSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) context.addIssue({ code: 'custom', message: issue.message, params: (issue as { params?: Record<string, unknown> }).params });
  return z.NEVER;
}).meta({
  type: 'string',
  pattern: '^[0-9]{1,10}(\\.[0-9]{1,6})?$',
  description: 'The price to consume, from "0" (release it all) to the held amount; a decimal string.',
  example: '1.37',
});

const createBody = z.strictObject({
  amount: amountSchema,
  description: storedText(1, maximumDescriptionLength),
  user: storedText(1, maximumUserReferenceLength).optional(),
  expires_in_seconds: expiresInSecondsSchema.optional(),
  metadata: metadataSchema.optional(),
});
const extendBody = z.strictObject({ amount: amountSchema.optional(), expires_in_seconds: expiresInSecondsSchema.optional() });
const captureBody = z.strictObject({ amount: captureAmountSchema, description: storedText(1, maximumDescriptionLength).optional() });

function holdIdParameter(value: string | string[] | undefined): string {
  // An id of the wrong shape cannot name any hold: the same 404 as a missing one.
  if (typeof value !== 'string' || !holdIdPattern.test(value)) throw new ApiError('not_found', 'No such hold.');
  return value;
}

/** Hold cursors name their account, so a cursor from another account's list is refused, not reinterpreted. */
function holdCursorKind(accountId: string): string {
  return `hold:${accountId}`;
}

export function presentHold(hold: StoredHold) {
  return {
    id: hold.id,
    status: hold.status,
    amount: formatMicros(hold.amountMicros),
    captured_amount: hold.capturedMicros === null ? null : formatMicros(hold.capturedMicros),
    currency: hold.currency,
    user: hold.userReference,
    description: hold.description,
    metadata: hold.metadata ?? {},
    expires_at: hold.expiresAt.toISOString(),
    created_at: hold.createdAt.toISOString(),
    settled_at: hold.settledAt?.toISOString() ?? null,
  };
}

export function presentAvailableBalance(balance: AvailableBalance) {
  return {
    balance: formatMicros(balance.balanceMicros),
    held: formatMicros(balance.heldMicros),
    available: formatMicros(balance.availableMicros),
  };
}

/** The API error for a refused hold operation or a busy ledger; other errors pass through. */
function apiErrorFor(error: unknown): unknown {
  if (error instanceof HoldRefusal) {
    const field = error.code === 'capture_exceeds_hold' || error.code === 'insufficient_balance' ? 'amount' : undefined;
    return new ApiError(error.code, error.message, field);
  }
  if (error instanceof LedgerBusyError) {
    return new ApiError('service_unavailable', 'The ledger is busy; retry shortly.', undefined, { cause: error });
  }
  return error;
}

/** Answers with the hold and the account's balance as they are after the operation. */
async function respondWithHold(dependencies: ApiDependencies, response: Response, hold: StoredHold, status: number, replayed: boolean) {
  const balance = await getAvailableBalance(dependencies.sql, hold.accountId);
  if (balance === null) throw new Error(`account ${hold.accountId} has no balance ledger account`);
  // A new hold is where the available balance drops (its capture only gives back the rest).
  if (status === 201 && !replayed) thresholdWatch(dependencies).afterDeduction(hold.accountId, hold.amountMicros, balance.availableMicros);
  if (replayed) response.set('Idempotent-Replayed', 'true');
  response.status(status).json({ ...presentHold(hold), balance: presentAvailableBalance(balance) });
}

export function holdRoutes(dependencies: ApiDependencies): Router {
  const router = Router();
  const { sql, ledgerBatcher } = dependencies;

  router.post('/v1/holds', async (request, response) => {
    const account = currentAccount(response);
    const idempotencyKey = parseIdempotencyKey(request.get('idempotency-key'));
    const body = parseBody(createBody, request.body);
    await refuseOverSpendLimit(sql, account.accountId, body.user ?? null, body.amount, 'held');
    const input = {
      accountId: account.accountId,
      currency: account.currency,
      idempotencyKey,
      amountMicros: body.amount,
      description: body.description,
      userReference: body.user ?? null,
      expiresInSeconds: body.expires_in_seconds ?? defaultHoldExpiry_seconds,
      metadata: body.metadata ?? null,
    };
    const result = await createHold(sql, ledgerBatcher, input).catch((error: unknown) => {
      throw apiErrorFor(error);
    });
    await respondWithHold(dependencies, response, result.hold, 201, result.replayed);
  });

  router.post('/v1/holds/:id/extend', async (request, response) => {
    const account = currentAccount(response);
    const holdId = holdIdParameter(request.params.id);
    const body = parseBody(extendBody, request.body);
    if (body.amount === undefined && body.expires_in_seconds === undefined) {
      throw new ApiError('missing_field', 'Send amount, expires_in_seconds, or both.', 'amount');
    }
    if (body.amount !== undefined) {
      const hold = await readHold(sql, account.accountId, holdId);
      if (hold !== null) await refuseOverSpendLimit(sql, account.accountId, hold.userReference, body.amount - hold.amountMicros, 'held');
    }
    const hold = await extendHold(sql, ledgerBatcher, {
      accountId: account.accountId,
      holdId,
      amountMicros: body.amount ?? null,
      expiresInSeconds: body.expires_in_seconds ?? null,
    }).catch((error: unknown) => {
      throw apiErrorFor(error);
    });
    await respondWithHold(dependencies, response, hold, 200, false);
  });

  router.post('/v1/holds/:id/capture', async (request, response) => {
    const account = currentAccount(response);
    const holdId = holdIdParameter(request.params.id);
    const body = parseBody(captureBody, request.body);
    const result = await settleHold(sql, ledgerBatcher, {
      accountId: account.accountId,
      holdId,
      outcome: 'captured',
      capturedMicros: body.amount,
      description: body.description ?? null,
    }).catch((error: unknown) => {
      throw apiErrorFor(error);
    });
    await respondWithHold(dependencies, response, result.hold, 200, result.replayed);
  });

  router.post('/v1/holds/:id/void', async (request, response) => {
    const account = currentAccount(response);
    const holdId = holdIdParameter(request.params.id);
    const result = await settleHold(sql, ledgerBatcher, { accountId: account.accountId, holdId, outcome: 'voided', capturedMicros: 0n, description: null }).catch(
      (error: unknown) => {
        throw apiErrorFor(error);
      },
    );
    await respondWithHold(dependencies, response, result.hold, 200, result.replayed);
  });

  router.get('/v1/holds', async (request, response) => {
    const account = currentAccount(response);
    const status = parseChoice('status', request.query.status, holdStatuses);
    const limit = parseLimit(request.query.limit);
    const beforePosition = decodeRowIdCursor(holdCursorKind(account.accountId), request.query.cursor);
    // One more than asked tells whether there is a next page without a second query.
    const holds = await listHolds(sql, { accountId: account.accountId, status, beforePosition, limit: limit + 1 });
    response.json(pageOf(holds, limit, presentHold, { kind: holdCursorKind(account.accountId), position: (hold) => hold.position }));
  });

  router.get('/v1/holds/:id', async (request, response) => {
    const account = currentAccount(response);
    const hold = await readHold(sql, account.accountId, holdIdParameter(request.params.id));
    if (hold === null) throw new ApiError('not_found', 'No such hold.');
    response.json(presentHold(hold));
  });

  return router;
}

const holdIdParameters = idParameter(holdIdPattern, 'hold_0123456789abcdefghijklmn');
const holdRefusals = ['hold_expired', 'hold_already_captured', 'hold_voided'] as const;

/** The contract of these routes (api/openapi). */
export const holdOperations = defineOperations([
  {
    method: 'post',
    path: '/v1/holds',
    operationId: 'createHold',
    summary: 'Reserve credit for usage whose price is known only at its end',
    tag: 'Holds',
    access: 'customer',
    idempotencyKey: true,
    body: { schema: createBody, example: { amount: '2.00', description: 'call to +1 555 0100', user: 'alice', expires_in_seconds: 600 } },
    responses: { 201: { description: 'The hold, active, with the balance after it.', replayable: true, schema: holdWithBalanceObject } },
    errors: ['insufficient_balance', 'spend_limit_reached', 'invalid_amount', 'amount_too_precise', 'amount_too_large', 'account_restricted'],
  },
  {
    method: 'post',
    path: '/v1/holds/:id/extend',
    operationId: 'extendHold',
    summary: 'Raise the held amount and/or move its expiry',
    tag: 'Holds',
    access: 'customer',
    pathParameters: holdIdParameters,
    body: { schema: extendBody, example: { amount: '4.00', expires_in_seconds: 600 } },
    responses: { 200: { description: 'The hold with the balance after it.', schema: holdWithBalanceObject } },
    errors: ['insufficient_balance', 'spend_limit_reached', 'invalid_amount', 'amount_too_precise', 'amount_too_large', ...holdRefusals],
  },
  {
    method: 'post',
    path: '/v1/holds/:id/capture',
    operationId: 'captureHold',
    summary: 'Consume the exact price and release the rest',
    tag: 'Holds',
    access: 'customer',
    pathParameters: holdIdParameters,
    body: { schema: captureBody, example: { amount: '1.37', description: 'call, 4 min 12 s' } },
    responses: { 200: { description: 'The captured hold with the balance after it; the same amount again gives the same answer.', replayable: true, schema: holdWithBalanceObject } },
    errors: ['capture_exceeds_hold', 'invalid_amount', 'amount_too_precise', 'amount_too_large', ...holdRefusals],
  },
  {
    method: 'post',
    path: '/v1/holds/:id/void',
    operationId: 'voidHold',
    summary: 'Release the whole hold',
    tag: 'Holds',
    access: 'customer',
    pathParameters: holdIdParameters,
    responses: { 200: { description: 'The voided hold with the balance after it.', replayable: true, schema: holdWithBalanceObject } },
    errors: [...holdRefusals],
  },
  {
    method: 'get',
    path: '/v1/holds',
    operationId: 'listHolds',
    summary: 'The account\'s holds, newest first',
    tag: 'Holds',
    access: 'customer',
    query: listQuery({ status: holdStatus.optional() }),
    responses: { 200: { description: 'A page of holds.', schema: pageSchema(holdObject) } },
  },
  {
    method: 'get',
    path: '/v1/holds/:id',
    operationId: 'getHold',
    summary: 'One hold',
    tag: 'Holds',
    access: 'customer',
    pathParameters: holdIdParameters,
    responses: { 200: { description: 'The hold.', schema: holdObject } },
  },
]);
