// Renders an invoice row as a one-page PDF, labelled in English and Simplified Chinese. Deterministic:
// the same row always gives the same bytes (the document's creation date is the issue date, its file id
// is derived from its info, and the embedded font subset's name and glyphs follow from the text), so a
// retried render can be compared with the stored copy. Every line is set in Noto Sans SC (embedded as a
// subset, document-fonts.ts), so Chinese names and addresses print as written.
import PDFDocument from 'pdfkit';
import type { InvoiceRow } from '../../db/invoices/invoice-row.ts';
import { formatMicrosForPeople } from '../../domain/money.ts';
import type { OrderPaymentMethod } from '../../domain/orders.ts';
import { bodyFont, boldFont, useDocumentFonts } from './document-fonts.ts';

/** Points (1/72 inch) from the page edge; A4 is 595 × 842 points. */
const pageMarginPoints = 56;
const amountColumnWidthPoints = 160;
const titleFontSize = 22;
const headingFontSize = 11;
const bodyFontSize = 10;
const noteFontSize = 8;

const paymentMethodNames: Record<OrderPaymentMethod, string> = {
  stripe: 'Card payment (Stripe) / 在线支付',
  airwallex: 'Online payment (Airwallex) / 在线支付',
  alipay: 'Alipay / 支付宝',
  wechat_pay: 'WeChat Pay / 微信支付',
  bank_transfer: 'Bank transfer / 银行转账',
  auto_recharge: 'Automatic recharge (saved card) / 自动充值',
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
  useDocumentFonts(document);
  drawHeader(document, invoice);
  drawParties(document, invoice);
  drawLines(document, invoice);
  drawCorrection(document, invoice);
  drawPayment(document, invoice);
  document.end();
  return finished;
}

function drawHeader(document: PDFKit.PDFDocument, invoice: InvoiceRow): void {
  document.font(boldFont).fontSize(titleFontSize).text('Invoice 发票');
  document.font(bodyFont).fontSize(bodyFontSize).moveDown(0.5);
  document.text(`Invoice number / 发票号码: ${invoice.number}`);
  document.text(`Issue date / 开票日期: ${issueDate(invoice)}`);
  document.text(`Order / 订单: ${invoice.order_id}`);
  document.moveDown();
}

function drawParties(document: PDFKit.PDFDocument, invoice: InvoiceRow): void {
  document.font(boldFont).fontSize(headingFontSize).text('Issued by / 开票方');
  document.font(bodyFont).fontSize(bodyFontSize);
  document.text(invoice.issuer_name);
  document.text(invoice.issuer_address);
  document.text(`Tax id / 税号: ${invoice.issuer_tax_id}`);
  document.moveDown();
  document.font(boldFont).fontSize(headingFontSize).text('Billed to / 付款方');
  document.font(bodyFont).fontSize(bodyFontSize);
  // A bank transfer names who paid; for other methods the account's email is the customer.
  if (invoice.remitter_name !== null) document.text(invoice.remitter_name);
  document.text(invoice.customer_email);
  document.text(`Account / 账户: ${invoice.account_id}`);
  document.moveDown();
}

function drawLines(document: PDFKit.PDFDocument, invoice: InvoiceRow): void {
  const money = (micros: bigint) => `${formatMicrosForPeople(micros, invoice.currency)} ${invoice.currency}`;
  const corrected = invoice.quoted_credit_micros !== null;
  const discount = invoice.discount_micros === 0n ? money(0n) : `-${money(invoice.discount_micros)}`;
  const lines: [label: string, value: string, bold: boolean][] = [
    ['Top-up amount / 充值金额', money(invoice.amount_micros), false],
    [invoice.promo_code === null ? 'Discount / 优惠' : `Discount (promo code ${invoice.promo_code}) / 优惠码`, discount, false],
    ...(corrected ? [['Amount due as quoted / 应付金额', money(invoice.quoted_pay_amount_micros!), false] as [string, string, boolean]] : []),
    [corrected ? 'Amount received / 实收金额' : 'Amount paid / 实付金额', money(invoice.pay_amount_micros), true],
    ['Bonus credit / 赠送额度', money(invoice.bonus_micros), false],
    ...(corrected ? [['Credit as quoted / 报价额度', money(invoice.quoted_credit_micros!), false] as [string, string, boolean]] : []),
    [corrected ? 'Credit added, corrected / 实际到账额度（已更正）' : 'Credit added to the balance / 到账额度', money(invoice.credit_micros), true],
  ];
  const left = pageMarginPoints;
  const width = document.page.width - 2 * pageMarginPoints;
  const amountLeft = left + width - amountColumnWidthPoints;
  for (const [label, value, bold] of lines) {
    const top = document.y;
    document.font(bold ? boldFont : bodyFont).fontSize(bodyFontSize);
    document.text(label, left, top, { width: width - amountColumnWidthPoints });
    document.text(value, amountLeft, top, { width: amountColumnWidthPoints, align: 'right' });
    document.moveDown(0.4);
  }
  document.x = left;
  document.moveDown();
}

/** Why the credit differs from the quote, as ops recorded it when they confirmed the transfer. */
function drawCorrection(document: PDFKit.PDFDocument, invoice: InvoiceRow): void {
  if (invoice.credit_correction_reason === null) return;
  document.font(boldFont).fontSize(headingFontSize).text('Credit corrected / 额度更正');
  document.font(bodyFont).fontSize(bodyFontSize);
  document.text(`Reason / 原因: ${invoice.credit_correction_reason}`);
  document.moveDown();
}

function drawPayment(document: PDFKit.PDFDocument, invoice: InvoiceRow): void {
  document.font(boldFont).fontSize(headingFontSize).text('Payment / 付款');
  document.font(bodyFont).fontSize(bodyFontSize);
  document.text(`Currency / 币种: ${invoice.currency}`);
  document.text(`Method / 方式: ${paymentMethodNames[invoice.payment_method]}`);
  if (invoice.payment_method === 'bank_transfer') {
    document.text(`Remitter / 汇款人: ${invoice.remitter_name ?? 'not recorded'}`);
    document.text(`Remitter's bank / 汇款银行: ${invoice.remitter_bank_name ?? 'not recorded'}`);
    document.text(`Transfer reference / 转账附言: ${invoice.transfer_reference ?? 'not recorded'}`);
    document.text(`Bank's reference / 银行流水号: ${invoice.provider_payment_id ?? 'none'}`);
  } else {
    document.text(`Provider reference / 支付参考号: ${invoice.provider_payment_id ?? 'none'}`);
  }
  document.moveDown(2);
  document.fontSize(noteFontSize).fillColor('#555555');
  document.text(
    'Paid in full. The credit is prepaid and is consumed by usage of the service. ' +
      'This invoice was issued electronically and is valid without a signature. ' +
      '款项已付清。额度为预付费，随服务使用而扣减。本发票以电子方式开具，无需签章。',
  );
}
