// Invoices: GET /v1/topups/{id}/invoice (the PDF) and GET /v1/invoices (the account's list).
import { Router, type Response } from 'express';
import type { IssuedInvoiceRow } from '../../db/invoices/invoice-row.ts';
import { getInvoiceByOrder } from '../../db/invoices/get-invoice.ts';
import { listInvoices } from '../../db/invoices/list-invoices.ts';
import { getOrderRow } from '../../db/orders/get-order.ts';
import { ApiError } from '../../domain/errors.ts';
import { invoiceFileName } from '../../domain/invoices.ts';
import { orderStatusPhrase } from '../../domain/order-status-text.ts';
import { currentAccount } from '../auth.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { presentInvoice } from '../presenters.ts';
import { invoiceObject, listQuery, orderIdParameters, pageSchema, pdfResponse } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import { decodeRowIdCursor, pageOf, parseLimit } from '../validation.ts';
import { orderIdParameter } from './topups.ts';

/** Invoice cursors name their account, so one account's cursor is refused on another's list. */
function invoiceCursorKind(accountId: string): string {
  return `invoice:${accountId}`;
}

/** Answers with an issued invoice's PDF: as a download (attachment) or shown in the browser (inline). */
export function sendInvoicePdf(response: Response, invoice: IssuedInvoiceRow, disposition: 'attachment' | 'inline'): void {
  response
    .status(200)
    .type('application/pdf')
    .set({
      // Invoice numbers are letters, digits and hyphens: the quoted file name needs no escaping.
      'Content-Disposition': `${disposition}; filename="${invoiceFileName(invoice.number)}"`,
      'Content-Length': String(invoice.pdf.length),
      // The PDF never changes once issued: its digest is a strong validator.
      ETag: `"${invoice.pdf_sha256.toString('hex')}"`,
      'Cache-Control': 'private, max-age=3600',
      'X-Content-Type-Options': 'nosniff',
    })
    .end(invoice.pdf);
}

export function invoiceRoutes(dependencies: ApiDependencies): Router {
  const { sql, config } = dependencies;
  const router = Router();

  router.get('/v1/topups/:id/invoice', async (request, response) => {
    const account = currentAccount(response);
    const orderId = orderIdParameter(request.params.id);
    const found = await getInvoiceByOrder(sql, orderId, account.accountId);
    if (found.state === 'issued') {
      sendInvoicePdf(response, found.invoice, 'attachment');
      return;
    }
    const order = await getOrderRow(sql, orderId, account.accountId);
    if (order === null) throw new ApiError('not_found', 'No such order.');
    throw new ApiError(
      'invoice_not_ready',
      order.status === 'succeeded'
        ? 'The invoice is being issued; retry in a few seconds.'
        : `The order ${orderStatusPhrase(order.status)}; its invoice is issued once it has been paid and credited.`,
    );
  });

  router.get('/v1/invoices', async (request, response) => {
    const account = currentAccount(response);
    const limit = parseLimit(request.query.limit);
    const beforeId = decodeRowIdCursor(invoiceCursorKind(account.accountId), request.query.cursor);
    // One more than asked tells whether there is a next page without a second query.
    const rows = await listInvoices(sql, { accountId: account.accountId, beforeId, limit: limit + 1 });
    response.json(
      pageOf(rows, limit, (row) => presentInvoice(row, config.api.publicBaseUrl), {
        kind: invoiceCursorKind(account.accountId),
        position: (row) => row.id,
      }),
    );
  });

  return router;
}

/** The contract of these routes (api/openapi). */
export const invoiceOperations = defineOperations([
  {
    method: 'get',
    path: '/v1/topups/:id/invoice',
    operationId: 'getTopUpInvoice',
    summary: 'The order\'s invoice PDF',
    tag: 'Invoices',
    access: 'customer',
    pathParameters: orderIdParameters,
    responses: {
      200: pdfResponse('The PDF, immutable once issued.', 'attachment; filename="<invoice number>.pdf"'),
    },
    errors: ['invoice_not_ready'],
  },
  {
    method: 'get',
    path: '/v1/invoices',
    operationId: 'listInvoices',
    summary: 'The account\'s invoices, newest first',
    tag: 'Invoices',
    access: 'customer',
    query: listQuery({}),
    responses: { 200: { description: 'A page of invoices.', schema: pageSchema(invoiceObject) } },
  },
]);
