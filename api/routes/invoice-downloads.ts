// GET /invoices/{number}/download?expires=&signature=: the invoice email's link. It needs no API key, so
// it opens in the customer's browser; the HMAC signature (ids/invoice-links.ts) names the invoice and the
// link's expiry, so it opens that one invoice until then and nothing else. A changed or cut link is
// 403 invoice_link_invalid, an old one 410 invoice_link_expired; neither says whether the invoice exists.
import { Router } from 'express';
import { getIssuedInvoiceByNumber } from '../../db/invoices/get-invoice-by-number.ts';
import { ApiError } from '../../domain/errors.ts';
import { verifyInvoiceLink } from '../../ids/invoice-links.ts';
import type { ApiDependencies } from '../dependencies.ts';
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
