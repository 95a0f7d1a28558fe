// GET /invoices/{number}/download?expires=&signature=: the invoice email's link. It needs no API key, so
// it opens in the customer's browser; the HMAC signature (ids/invoice-links.ts) names the invoice and the
// link's expiry, so it opens that one invoice until then and nothing else. A changed or cut link is
// 403 invoice_link_invalid, an old one 410 invoice_link_expired; neither says whether the invoice exists.
import { Router } from 'express';
import { z } from 'zod';
import { getIssuedInvoiceByNumber } from '../../db/invoices/get-invoice-by-number.ts';
import { ApiError } from '../../domain/errors.ts';
import { verifyInvoiceLink } from '../../ids/invoice-links.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { pdfResponse } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import { sendInvoicePdf } from './invoices.ts';

/** RF-2026-000123: what formatInvoiceNumber makes (1 to 8 capital letters, a year, the sequence). */
const invoiceNumberPattern = /^[A-Z]{1,8}-\d{4}-\d{6,19}$/;
/** Unix seconds, as signedInvoiceLink writes them: at most 12 digits, far past any expiry. */
const expiresPattern = /^\d{1,12}$/;

export function invoiceDownloadRoutes(dependencies: ApiDependencies): Router {
  const { sql, config } = dependencies;
  const router = Router();

  router.get('/invoices/:number/download', async (request, response) => {
    const invoiceNumber = request.params.number;
    const { expires, signature } = request.query;
    if (typeof expires !== 'string' || typeof signature !== 'string' || !expiresPattern.test(expires)) {
      throw new ApiError('invoice_link_invalid', 'This invoice link is incomplete; use the whole link from the email.');
    }
    if (typeof invoiceNumber !== 'string' || !invoiceNumberPattern.test(invoiceNumber)) {
      throw new ApiError('invoice_link_invalid', 'This invoice link is not valid; use the whole link from the email.');
    }
    const verdict = verifyInvoiceLink(config.invoices.links.secret, invoiceNumber, Number(expires), signature, new Date());
    if (verdict === 'invalid') throw new ApiError('invoice_link_invalid', 'This invoice link is not valid; use the whole link from the email.');
    if (verdict === 'expired') {
      throw new ApiError('invoice_link_expired', 'This invoice link has expired; download the invoice with your API key (GET /v1/topups/{id}/invoice).');
    }
    const invoice = await getIssuedInvoiceByNumber(sql, invoiceNumber);
    if (invoice === null) throw new ApiError('not_found', 'No such invoice.');
    sendInvoicePdf(response, invoice, 'inline');
  });

  return router;
}

/** The contract of this route (api/openapi). */
export const invoiceDownloadOperations = defineOperations([
  {
    method: 'get',
    path: '/invoices/:number/download',
    operationId: 'downloadInvoiceByLink',
    summary: 'The invoice PDF from the invoice email\'s signed link (no API key)',
    description:
      'Opens the one invoice the link names until the link expires (INVOICE_LINK_EXPIRY_DAYS after issue). A changed or cut link is ' +
      '`403 invoice_link_invalid`, an expired one `410 invoice_link_expired`; neither says whether the invoice exists.',
    tag: 'Invoices',
    access: 'public',
    pathParameters: z.object({ number: z.string().regex(invoiceNumberPattern).meta({ description: 'The invoice number.', example: 'RF-2026-000123' }) }),
    query: z.object({
      expires: z.string().regex(expiresPattern).meta({ description: 'When the link expires, in Unix seconds, as the email gives it.', example: '1767182400' }),
      signature: z.string().meta({ description: 'The link\'s HMAC over the number and expiry, as the email gives it.', example: 'mX3o7wq0y3mKk1v0Jc2YQk4n9sW2Zr8bT5uP1aE6dLg' }),
    }),
    responses: {
      200: pdfResponse('The PDF, shown in the browser; immutable once issued.', 'inline; filename="<invoice number>.pdf"'),
    },
    errors: ['invoice_link_invalid', 'invoice_link_expired', 'rate_limited'],
  },
]);
