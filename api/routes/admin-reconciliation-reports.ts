// Ops' daily reconciliation reports (under /admin, with an operator's token), written by the daily
// reconciliation workflow (activities/daily-reconciliation.ts); this route only reads them.
//   GET /admin/reconciliation-reports/:date   (YYYY-MM-DD, a UTC day)
import { Router } from 'express';
import { z } from 'zod';
import { getReconciliationReport } from '../../db/reconciliation-reports/get-reconciliation-report.ts';
import type { ReconciliationReportLineRow, ReconciliationReportRow } from '../../db/reconciliation-reports/reconciliation-report-row.ts';
import { differenceKinds, parseReportDate } from '../../domain/daily-reconciliation.ts';
import { ApiError } from '../../domain/errors.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { timestamp } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';

/** What the comparison leaves out, said in every report so nobody reads its silence as agreement. */
const outOfScope = 'Bank transfers, Airwallex (Alipay, WeChat Pay) and auto-recharge charges are not Checkout payments and are not compared.';

function presentLine(line: ReconciliationReportLineRow) {
  return {
    line: line.line_number,
    kind: line.kind,
    order_id: line.order_id,
    checkout_session_id: line.checkout_session_id,
    provider_payment_id: line.provider_payment_id,
    provider_amount_minor_units: line.provider_amount_minor_units?.toString() ?? null,
    provider_currency: line.provider_currency,
    refill_amount_minor_units: line.refill_amount_minor_units?.toString() ?? null,
    refill_currency: line.refill_currency,
    payment_exception_id: line.payment_exception_id,
    detail: line.detail,
  };
}

function presentReport(report: ReconciliationReportRow, lines: ReconciliationReportLineRow[]) {
  return {
    date: report.report_date,
    provider: report.provider,
    provider_payment_count: report.provider_payment_count,
    credited_order_count: report.credited_order_count,
    difference_count: report.difference_count,
    out_of_scope: outOfScope,
    workflow_id: report.workflow_id,
    run_id: report.run_id,
    completed_at: report.completed_at.toISOString(),
    lines: lines.map(presentLine),
  };
}

export function adminReconciliationReportRoutes(dependencies: ApiDependencies): Router {
  const { sql } = dependencies;
  const router = Router();

  router.get('/admin/reconciliation-reports/:date', async (request, response) => {
    const date = parseReportDate(request.params.date);
    if (date === null) throw new ApiError('invalid_report_date', 'The date must be a UTC day written YYYY-MM-DD, such as 2026-11-30.', 'date');
    const found = await getReconciliationReport(sql, date);
    if (found === null) throw new ApiError('reconciliation_report_not_found', `No daily reconciliation has reported on ${date}.`);
    response.json(presentReport(found.report, found.lines));
  });

  return router;
}

const minorUnits = z.string().nullable().meta({ description: 'In the currency\'s minor units (cents, fen); null where that side has nothing.' });

const reportLineObject = z
  .object({
    line: z.number().int(),
    kind: z.enum(differenceKinds),
    order_id: z.string().nullable(),
    checkout_session_id: z.string().nullable(),
    provider_payment_id: z.string().nullable(),
    provider_amount_minor_units: minorUnits,
    provider_currency: z.string().nullable(),
    refill_amount_minor_units: minorUnits,
    refill_currency: z.string().nullable(),
    payment_exception_id: z.string().nullable(),
    detail: z.string(),
  })
  .meta({ id: 'ReconciliationReportLine' });

const reportObject = z
  .object({
    date: z.string().meta({ format: 'date', example: '2026-11-30' }),
    provider: z.string(),
    provider_payment_count: z.number().int(),
    credited_order_count: z.number().int(),
    difference_count: z.number().int().meta({ description: 'Every difference found; the lines hold the first 1000.' }),
    out_of_scope: z.string(),
    workflow_id: z.string(),
    run_id: z.string(),
    completed_at: timestamp,
    lines: z.array(reportLineObject),
  })
  .meta({ id: 'ReconciliationReport' });

/** The contract of these routes (api/openapi). */
export const adminReconciliationReportOperations = defineOperations([
  {
    method: 'get',
    path: '/admin/reconciliation-reports/:date',
    operationId: 'getReconciliationReport',
    summary: 'The daily reconciliation report of a UTC day',
    tag: 'Ops: reconciliation',
    access: 'admin',
    pathParameters: z.object({ date: z.string().meta({ example: '2026-11-30', description: 'A UTC day, YYYY-MM-DD.' }) }),
    responses: { 200: { description: 'The day\'s report, one line per difference.', schema: reportObject } },
    errors: ['invalid_report_date', 'reconciliation_report_not_found'],
  },
]);
