// Signed, expiring links to an invoice's PDF, for the invoice email: they open in a browser without an
// API key. The signature is an HMAC-SHA256, under INVOICE_LINK_SECRET (config/config.ts), of the
// invoice number and the expiry, so a link names one invoice until one moment and cannot be changed to
// name another or to last longer. The expiry follows from the issue date, so every attempt to send an
// invoice's email carries the same link.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The path of the download, relative to the API's public base URL. */
export function invoiceDownloadPath(invoiceNumber: string): string {
  return `/invoices/${invoiceNumber}/download`;
}

export interface InvoiceLinkSettings {
  /** The HMAC key: INVOICE_LINK_SECRET, or derived from the webhook secret when it is unset. */
  secret: string;
  /** INVOICE_LINK_EXPIRY_DAYS: how long after the invoice's issue its link works. */
  expiryDays: number;
}

const millisecondsPerDay = 86_400_000;
/** 64 lower-case hex digits: what signatureOf produces. */
export const invoiceLinkSignaturePattern = /^[0-9a-f]{64}$/;

function signatureOf(secret: string, invoiceNumber: string, expiresAtSeconds: number): string {
  return createHmac('sha256', secret).update(`invoice-download\n${invoiceNumber}\n${expiresAtSeconds}`).digest('hex');
}

/** The absolute, signed link of an invoice issued at issuedAt. */
export function signedInvoiceLink(publicBaseUrl: string, settings: InvoiceLinkSettings, invoiceNumber: string, issuedAt: Date): string {
  const expiresAtSeconds = Math.floor((issuedAt.getTime() + settings.expiryDays * millisecondsPerDay) / 1000);
  const signature = signatureOf(settings.secret, invoiceNumber, expiresAtSeconds);
  return `${publicBaseUrl}${invoiceDownloadPath(invoiceNumber)}?expires=${expiresAtSeconds}&signature=${signature}`;
}

export type InvoiceLinkVerdict = 'valid' | 'invalid' | 'expired';

/** Whether a link's expiry and signature are the ones this installation signed, and still good at now. */
export function verifyInvoiceLink(
  secret: string,
  invoiceNumber: string,
  expiresAtSeconds: number,
  signature: string,
  now: Date,
): InvoiceLinkVerdict {
  if (!invoiceLinkSignaturePattern.test(signature)) return 'invalid';
  const expected = Buffer.from(signatureOf(secret, invoiceNumber, expiresAtSeconds), 'hex');
  // Checked before the expiry, so an expired answer is given only for a link this installation made.
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return 'invalid';
  return now.getTime() >= expiresAtSeconds * 1000 ? 'expired' : 'valid';
}

/** The key used when INVOICE_LINK_SECRET is unset: derived from the webhook secret, never the secret itself. */
export function derivedInvoiceLinkSecret(webhookSecret: string): string {
  return createHmac('sha256', webhookSecret).update('refill invoice links').digest('hex');
}
