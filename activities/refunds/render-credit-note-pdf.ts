// Renders a credit note row as a one-page PDF. Deterministic, as invoices are: the same row always gives
// the same bytes (the creation date is the issue date, the embedded font subset follows from the text).
// Set in Noto Sans SC (activities/invoices/document-fonts.ts), so Chinese names print as written.
import PDFDocument from 'pdfkit';
import { bodyFont, boldFont, useDocumentFonts } from '../invoices/document-fonts.ts';
import type { CreditNoteRow } from '../../db/credit-notes/credit-note-row.ts';
import { formatMicrosForPeople } from '../../domain/money.ts';

const pageMarginPoints = 56;
const titleFontSize = 22;
const headingFontSize = 11;
const bodyFontSize = 10;
const noteFontSize = 8;

export async function renderCreditNotePdf(note: CreditNoteRow): Promise<Buffer> {
  const document = new PDFDocument({
    size: 'A4',
    margin: pageMarginPoints,
    info: { Title: `Credit note ${note.number}`, Author: note.issuer_name, Subject: `Refund ${note.refund_id}`, Creator: 'Refill', CreationDate: note.issued_at },
  });
  const chunks: Buffer[] = [];
  const finished = new Promise<Buffer>((resolve, reject) => {
    document.on('data', (chunk: Buffer) => chunks.push(chunk));
    document.on('end', () => resolve(Buffer.concat(chunks)));
    document.on('error', reject);
  });
  const money = (micros: bigint) => `${formatMicrosForPeople(micros, note.currency)} ${note.currency}`;
  useDocumentFonts(document);
  document.font(boldFont).fontSize(titleFontSize).text('Credit note');
  document.font(bodyFont).fontSize(bodyFontSize).moveDown(0.5);
  document.text(`Credit note number: ${note.number}`);
  document.text(`Issue date: ${note.issued_at.toISOString().slice(0, 10)}`);
  document.text(`Refers to invoice: ${note.invoice_number ?? 'none issued'}`);
  document.text(`Order: ${note.order_id}`);
  document.text(`Refund: ${note.refund_id}`);
  document.moveDown();
  document.font(boldFont).fontSize(headingFontSize).text('Issued by');
  document.font(bodyFont).fontSize(bodyFontSize).text(note.issuer_name).text(note.issuer_address).text(`Tax id: ${note.issuer_tax_id}`);
  document.moveDown();
  document.font(boldFont).fontSize(headingFontSize).text('Issued to');
  document.font(bodyFont).fontSize(bodyFontSize).text(note.customer_email).text(`Account: ${note.account_id}`);
  document.moveDown();
  document.font(boldFont).text(`Amount refunded: ${money(note.amount_micros)}`);
  document.font(bodyFont).text(`Credit removed from the balance: ${money(note.credit_removed_micros)}`);
  document.text(`Reason: ${note.reason}`);
  document.moveDown(2);
  document.fontSize(noteFontSize).fillColor('#555555');
  document.text('This credit note reduces the invoice it refers to by the amount refunded. It was issued electronically and is valid without a signature.');
  document.end();
  return finished;
}
