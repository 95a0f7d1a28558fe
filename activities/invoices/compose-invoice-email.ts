// The invoice email: a plain-text and an HTML body with the amounts and the download link, and the
// PDF attached. Built from the stored invoice, so every attempt sends the same message. Its amounts are
// the invoice's, which are the ledger's (migration 0016): a credit ops corrected is shown as corrected,
// with the quote and the reason, so "credit added" and "new balance" always agree.
import type { IssuedInvoiceRow } from '../../db/invoices/invoice-row.ts';
import { invoiceFileName, invoiceMessageId, invoicePath } from '../../domain/invoices.ts';
import { microsFromDecimal, moneyForPeople } from '../../domain/money.ts';
import { signedInvoiceLink, type InvoiceLinkSettings } from '../../ids/invoice-links.ts';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  attachments: { filename: string; content: Buffer; contentType: string }[];
}

export interface ComposeInvoiceEmailInput {
  invoice: IssuedInvoiceRow;
  /** Six-decimal string: the balance right after the credit. */
  balanceAfter: string;
  mailFrom: string;
  publicBaseUrl: string;
  /** Signs the download link, so it opens in a browser; null: the API's link, which needs the API key. */
  links: InvoiceLinkSettings | null;
}

export function composeInvoiceEmail({ invoice, balanceAfter, mailFrom, publicBaseUrl, links }: ComposeInvoiceEmailInput): OutgoingMail {
  const facts = invoiceFacts(invoice, balanceAfter);
  const apiLink = `${publicBaseUrl}${invoicePath(invoice.order_id)}`;
  // The signed link opens in a browser; the API's link (with the API key) works for as long as the account.
  const browserLink = links === null ? null : signedInvoiceLink(publicBaseUrl, links, invoice.number, invoice.issued_at);
  const text = [
    'Thank you for your top-up. Your invoice is attached.',
    '',
    ...facts.map(([label, value]) => `${label}: ${value}`),
    '',
    ...(browserLink === null ? [] : [`Download the invoice again (the link works for ${links!.expiryDays} days): ${browserLink}`]),
    `With your API key: ${apiLink}`,
    '',
  ].join('\n');
  const html = [
    '<p>Thank you for your top-up. Your invoice is attached.</p>',
    '<table>',
    ...facts.map(([label, value]) => `<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`),
    '</table>',
    ...(browserLink === null
      ? []
      : [`<p><a href="${escapeHtml(browserLink)}">Download the invoice</a> (the link works for ${links!.expiryDays} days).</p>`]),
    `<p>With your API key: <a href="${escapeHtml(apiLink)}">${escapeHtml(apiLink)}</a></p>`,
  ].join('\n');
  return {
    from: mailFrom,
    to: invoice.customer_email,
    subject: `Your Refill invoice ${invoice.number}`,
    text,
    html,
    messageId: invoiceMessageId(invoice.number, mailFrom),
    attachments: [{ filename: invoiceFileName(invoice.number), content: invoice.pdf, contentType: 'application/pdf' }],
  };
}

/** The lines of the email: what was paid and credited as the ledger has it, and the correction if any. */
function invoiceFacts(invoice: IssuedInvoiceRow, balanceAfter: string): [label: string, value: string][] {
  const money = (micros: bigint) => moneyForPeople(micros, invoice.currency);
  const corrected = invoice.quoted_credit_micros !== null;
  return [
    [corrected ? 'Amount received' : 'Amount paid', money(invoice.pay_amount_micros)],
    ...(invoice.promo_code === null ? [] : [['Promo code', invoice.promo_code] as [string, string]]),
    [corrected ? 'Credit added (corrected)' : 'Credit added', money(invoice.credit_micros)],
    ...(corrected
      ? [
          ['Credit as quoted', money(invoice.quoted_credit_micros!)] as [string, string],
          ['Why it was corrected', invoice.credit_correction_reason ?? ''] as [string, string],
        ]
      : []),
    ['New balance', money(microsFromDecimal(balanceAfter))],
    ...(invoice.transfer_reference === null ? [] : [['Transfer reference', invoice.transfer_reference] as [string, string]]),
    ['Order', invoice.order_id],
    ['Invoice', invoice.number],
  ];
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
