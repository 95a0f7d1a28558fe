// Renders an invoice row as a one-page PDF. Deterministic: the same row always gives the same bytes
// (the document's creation date is the issue date, its file id is derived from its info, and the
// standard fonts are not embedded), so a retried render can be compared with the stored copy.
import PDFDocument from 'pdfkit';
import type { InvoiceRow } from '../../db/invoices/invoice-row.ts';
import { formatMicrosForPeople } from '../../domain/money.ts';
import type { OrderPaymentMethod } from '../../domain/orders.ts';

/** Points (1/72 inch) from the page edge; A4 is 595 × 842 points. */
const pageMarginPoints = 56;
const amountColumnWidthPoints = 160;
const titleFontSize = 22;
const headingFontSize = 11;
const bodyFontSize = 10;
const noteFontSize = 8;

const paymentMethodNames: Record<OrderPaymentMethod, string> = {
  stripe: 'Card payment (Stripe)',
  airwallex: 'Online payment (Airwallex)',
  alipay: 'Alipay (Airwallex)',
  wechat_pay: 'WeChat Pay (Airwallex)',
  bank_transfer: 'Bank transfer',
  auto_recharge: 'Automatic recharge (saved card)',
};

/** YYYY-MM-DD in UTC, the calendar the invoice numbers' years follow. */
export function issueDate(invoice: Pick<InvoiceRow, 'issued_at'>): string {
  return invoice.issued_at.toISOString().slice(0, 10);
}

export async function renderInvoicePdf(invoice: InvoiceRow): Promise<Buffer> {
  const document = new PDFDocument({
    size: 'A4',
    margin: pageMarginPoints,
    info: {
      Title: `Invoice ${invoice.number}`,
      Author: invoice.issuer_name,
      Subject: `Prepaid credit top-up ${invoice.order_id}`,
      Creator: 'Refill',
      CreationDate: invoice.issued_at,
    },
  });
  const chunks: Buffer[] = [];
  const finished = new Promise<Buffer>((resolve, reject) => {
    document.on('data', (chunk: Buffer) => chunks.push(chunk));
    document.on('end', () => resolve(Buffer.concat(chunks)));
    document.on('error', reject);
  });
  drawHeader(document, invoice);
  drawParties(document, invoice);
  drawLines(document, invoice);
  drawPayment(document, invoice);
  document.end();
  return finished;
}

function drawHeader(document: PDFKit.PDFDocument, invoice: InvoiceRow): void {
  document.font('Helvetica-Bold').fontSize(titleFontSize).text('Invoice');
  document.font('Helvetica').fontSize(bodyFontSize).moveDown(0.5);
  document.text(`Invoice number: ${invoice.number}`);
  document.text(`Issue date: ${issueDate(invoice)}`);
  document.text(`Order: ${invoice.order_id}`);
  document.moveDown();
}

function drawParties(document: PDFKit.PDFDocument, invoice: InvoiceRow): void {
  document.font('Helvetica-Bold').fontSize(headingFontSize).text('Issued by');
  document.font('Helvetica').fontSize(bodyFontSize);
  document.text(invoice.issuer_name);
  document.text(invoice.issuer_address);
  document.text(`Tax id: ${invoice.issuer_tax_id}`);
  document.moveDown();
  document.font('Helvetica-Bold').fontSize(headingFontSize).text('Billed to');
  document.font('Helvetica').fontSize(bodyFontSize);
  document.text(invoice.customer_email);
  document.text(`Account: ${invoice.account_id}`);
  document.moveDown();
}

function drawLines(document: PDFKit.PDFDocument, invoice: InvoiceRow): void {
  const money = (micros: bigint) => `${formatMicrosForPeople(micros, invoice.currency)} ${invoice.currency}`;
  const lines: [label: string, value: string, bold: boolean][] = [
    ['Top-up amount', money(invoice.amount_micros), false],
    ['Discount', invoice.discount_micros === 0n ? money(0n) : `-${money(invoice.discount_micros)}`, false],
    ['Amount paid', money(invoice.pay_amount_micros), true],
    ['Bonus credit', money(invoice.bonus_micros), false],
    ['Credit added to the balance', money(invoice.credit_micros), true],
  ];
  const left = pageMarginPoints;
  const width = document.page.width - 2 * pageMarginPoints;
  const amountLeft = left + width - amountColumnWidthPoints;
  for (const [label, value, bold] of lines) {
    const top = document.y;
    document.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(bodyFontSize);
    document.text(label, left, top, { width: width - amountColumnWidthPoints });
    document.text(value, amountLeft, top, { width: amountColumnWidthPoints, align: 'right' });
    document.moveDown(0.4);
  }
  document.x = left;
  document.moveDown();
}

function drawPayment(document: PDFKit.PDFDocument, invoice: InvoiceRow): void {
  document.font('Helvetica-Bold').fontSize(headingFontSize).text('Payment');
  document.font('Helvetica').fontSize(bodyFontSize);
  document.text(`Currency: ${invoice.currency}`);
  document.text(`Method: ${paymentMethodNames[invoice.payment_method]}`);
  document.text(`Provider reference: ${invoice.provider_payment_id ?? 'none'}`);
  document.moveDown(2);
  document.fontSize(noteFontSize).fillColor('#555555');
  document.text(
    'Paid in full. The credit is prepaid and is consumed by usage of the service. ' +
      'This invoice was issued electronically and is valid without a signature.',
  );
}
