// The invoice email: a plain-text and an HTML body with the amounts and the download link, and the
// PDF attached. Built from the stored invoice, so every attempt sends the same message.
import type { IssuedInvoiceRow } from '../../db/invoices/invoice-row.ts';
import { invoiceFileName, invoiceMessageId, invoicePath } from '../../domain/invoices.ts';
import { formatMicrosForPeople, microsFromDecimal } from '../../domain/money.ts';

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
}

export function composeInvoiceEmail({ invoice, balanceAfter, mailFrom, publicBaseUrl }: ComposeInvoiceEmailInput): OutgoingMail {
  const money = (micros: bigint) => `${formatMicrosForPeople(micros, invoice.currency)} ${invoice.currency}`;
  const facts: [label: string, value: string][] = [
    ['Amount paid', money(invoice.pay_amount_micros)],
    ['Credit added', money(invoice.credit_micros)],
    ['New balance', money(microsFromDecimal(balanceAfter))],
    ['Order', invoice.order_id],
    ['Invoice', invoice.number],
  ];
  const link = `${publicBaseUrl}${invoicePath(invoice.order_id)}`;
  const text = [
    'Thank you for your top-up. Your invoice is attached.',
    '',
    ...facts.map(([label, value]) => `${label}: ${value}`),
    '',
    `Download the invoice again (with your API key): ${link}`,
    '',
  ].join('\n');
  const html = [
    '<p>Thank you for your top-up. Your invoice is attached.</p>',
    '<table>',
    ...facts.map(([label, value]) => `<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`),
    '</table>',
    `<p><a href="${escapeHtml(link)}">Download the invoice</a> (with your API key).</p>`,
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

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
