// Ops' view of holds (under /admin, with an operator's token): what is held now across accounts, for
// a customer who asks why their balance is not all available.
//   GET /admin/holds?status=active|captured|voided|expired&account_id=&limit=&cursor=   newest first
// Read-only: holds change only through the customer's routes and the sweeper (db/holds/).
import { Router } from 'express';
import { z } from 'zod';
import type { HoldStatus } from '../../db/holds/hold.ts';
import { listHolds } from '../../db/holds/list-holds.ts';
import { ApiError } from '../../domain/errors.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { holdFields, holdStatus, listQuery, pageSchema } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import { decodeRowIdCursor, pageOf, parseChoice, parseLimit } from '../validation.ts';
import { presentHold } from './holds.ts';

const holdStatuses: readonly HoldStatus[] = ['active', 'captured', 'voided', 'expired'];
const accountIdPattern = /^acct_[0-9a-z]{24}$/;

function parseAccountId(value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value === 'string' && accountIdPattern.test(value)) return value;
  throw new ApiError('invalid_query_parameter', 'account_id must be an account id (acct_ and 24 characters of 0-9a-z).', 'account_id');
}

/** A cursor names the filter it pages, so one from another account's list is refused, not reinterpreted. */
function cursorKind(accountId: string | null, status: HoldStatus | null): string {
  return `admin-hold:${accountId ?? '*'}:${status ?? '*'}`;
}

export function adminHoldRoutes(dependencies: ApiDependencies): Router {
  const router = Router();
  router.get('/admin/holds', async (request, response) => {
    const status = parseChoice('status', request.query.status, holdStatuses);
    const accountId = parseAccountId(request.query.account_id);
    const limit = parseLimit(request.query.limit);
    const kind = cursorKind(accountId, status);
    const beforePosition = decodeRowIdCursor(kind, request.query.cursor);
    const holds = await listHolds(dependencies.sql, { accountId, status, beforePosition, limit: limit + 1 });
    response.json(
      pageOf(holds, limit, (hold) => ({ ...presentHold(hold), account_id: hold.accountId }), { kind, position: (hold) => hold.position }),
    );
  });
  return router;
}

/** The contract of this route (api/openapi). */
export const adminHoldOperations = defineOperations([
  {
    method: 'get',
    path: '/admin/holds',
    operationId: 'listAllHolds',
    summary: 'Holds of every account (or one), newest first',
    tag: 'Ops: holds',
    access: 'admin',
    query: listQuery({ status: holdStatus.optional(), account_id: z.string().regex(accountIdPattern).optional() }),
    responses: { 200: { description: 'A page of holds.', schema: pageSchema(z.object({ ...holdFields, account_id: z.string() }).meta({ id: 'OpsHold' })) } },
  },
]);
