// Ops' audit log (under /admin, with an operator's token): every admin write request, newest first.
//   GET /admin/audit-log?operator=&action=&target=&limit=&cursor=
// Written by the audit middleware (api/admin-audit.ts); read-only here, and immutable in the database.
import { Router } from 'express';
import { z } from 'zod';
import type { AdminActionRow } from '../../db/audit/admin-action-row.ts';
import { listAdminActions } from '../../db/audit/list-admin-actions.ts';
import { operatorNamePattern } from '../../config/admin-operators.ts';
import { ApiError } from '../../domain/errors.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { listQuery, pageSchema, timestamp } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import { decodeRowIdCursor, pageOf, parseLimit } from '../validation.ts';

const cursorKind = 'admin-audit-log';
const actionPattern = /^[a-z0-9_.]{1,100}$/;
const targetPattern = /^[\x21-\x7e]{1,200}$/;

/** One optional filter of the list, which must have the shape of what it filters. */
function parseFilter(name: string, value: unknown, pattern: RegExp, shape: string): string | null {
  if (value === undefined) return null;
  if (typeof value === 'string' && pattern.test(value)) return value;
  throw new ApiError('invalid_query_parameter', `${name} must be ${shape}.`, name);
}

export function presentAdminAction(row: AdminActionRow) {
  return {
    id: row.id.toString(),
    operator: row.operator,
    action: row.action,
    target: row.target,
    method: row.method,
    path: row.path,
    status_code: row.status_code,
    request_id: row.request_id,
    request_body: row.request_summary,
    occurred_at: row.occurred_at.toISOString(),
  };
}

export function adminAuditLogRoutes(dependencies: ApiDependencies): Router {
  const router = Router();
  router.get('/admin/audit-log', async (request, response) => {
    const operator = parseFilter('operator', request.query.operator, operatorNamePattern, 'an operator name (a-z, 0-9, ".", "_", "-")');
    const action = parseFilter('action', request.query.action, actionPattern, 'an action such as topup.confirm_transfer');
    const target = parseFilter('target', request.query.target, targetPattern, 'an object id, 1 to 200 printable characters');
    const limit = parseLimit(request.query.limit);
    const beforeId = decodeRowIdCursor(cursorKind, request.query.cursor);
    const rows = await listAdminActions(dependencies.sql, { operator, action, target, beforeId, limit: limit + 1 });
    response.json(pageOf(rows, limit, presentAdminAction, { kind: cursorKind, position: (row) => row.id }));
  });
  return router;
}

/** The contract of this route (api/openapi). */
export const adminAuditLogOperations = defineOperations([
  {
    method: 'get',
    path: '/admin/audit-log',
    operationId: 'listAuditLog',
    summary: 'Every admin write request, newest first',
    tag: 'Ops: audit log',
    access: 'admin',
    query: listQuery({
      operator: z.string().regex(operatorNamePattern).optional(),
      action: z.string().regex(actionPattern).optional().meta({ example: 'topup.confirm_transfer' }),
      target: z.string().regex(targetPattern).optional(),
    }),
    responses: {
      200: {
        description: 'A page of admin actions.',
        schema: pageSchema(
          z
            .object({
              id: z.string(),
              operator: z.string(),
              action: z.string(),
              target: z.string().nullable(),
              method: z.string(),
              path: z.string(),
              status_code: z.number().int(),
              request_id: z.string().nullable(),
              request_body: z.unknown().meta({ description: 'The request\'s body as recorded, secrets left out.' }),
              occurred_at: timestamp,
            })
            .meta({ id: 'AdminAction' }),
        ),
      },
    },
  },
]);
