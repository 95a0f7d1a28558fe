// The emails of a bank transfer order: the instructions once it is recorded (the company's account, the
// amount and the reference), the reminder on the morning of its last day, and the rejection with ops'
// reason (which does not repeat the account: the customer should not transfer again). Plain text and HTML, built from the order alone, so every attempt sends the same
// message under the same Message-ID.
import type { OutgoingMail } from '../invoices/compose-invoice-email.ts';
import { microsFromDecimal, moneyForPeople } from '../../domain/money.ts';
import type { BankTransferDetails, OrderSnapshot } from '../../domain/orders.ts';

export type BankTransferEmailKind = 'instructions' | 'reminder' | 'rejection';

export interface ComposeBankTransferEmailInput {
  kind: BankTransferEmailKind;
  order: OrderSnapshot;
  customerEmail: string;
  mailFrom: string;
  /** The offset the deadline is shown in (the one its business days were counted in). */
  utcOffsetMinutes: number;
}

/** Builds the reminder or the rejection email of a bank transfer order. */
export function composeBankTransferEmail(input: ComposeBankTransferEmailInput): OutgoingMail {
  const { kind, order } = input;
  const details = order.bankTransfer;
  if (details == null) throw new Error(`order ${order.orderId} is not a bank transfer order`);
  const payAmount = moneyForPeople(microsFromDecimal(order.terms.payAmount), order.terms.currency);
  const deadline = localTime(order.expiresAt, input.utcOffsetMinutes);
  const paragraphs =
    kind === 'instructions'
      ? [
          `Thank you for your top-up order ${order.orderId}. Please transfer ${payAmount} to the account below before ${deadline}.`,
          `Write the reference ${details.reference} in the transfer note, so we can match your transfer to the order. ` +
            'Your balance is credited once we have found the transfer on our statement.',
        ]
      : kind === 'reminder'
      ? [
          `We have not yet received the bank transfer for your top-up order ${order.orderId}.`,
          `Please transfer ${payAmount} before ${deadline}, ` +
            `writing the reference ${details.reference} in the transfer note. After that time the order expires.`,
        ]
      : [
          `We could not confirm the bank transfer for your top-up order ${order.orderId}, and no credit was added.`,
          `Reason: ${order.failureReason ?? 'not given'}`,
          'If you have already transferred the money, reply to this email with your bank receipt and we will sort it out.',
        ];
  const facts: [label: string, value: string][] =
    kind === 'rejection'
      ? [
          ['Order', order.orderId],
          ['Reference', details.reference],
          ['Amount', payAmount],
        ]
      : [
          ['Amount to transfer', payAmount],
          ['Reference (transfer note)', details.reference],
          ...payeeFacts(details),
          ['Transfer before', deadline],
          ['Order', order.orderId],
        ];
  const subject =
    kind === 'instructions'
      ? `Transfer ${payAmount} with reference ${details.reference} to top up`
      : kind === 'reminder'
      ? `Reminder: transfer ${payAmount} with reference ${details.reference} by the end of today`
      : `Your bank transfer top-up ${details.reference} was not confirmed`;
  return {
    from: input.mailFrom,
    to: input.customerEmail,
    subject,
    text: [...paragraphs, '', ...facts.map(([label, value]) => `${label}: ${value}`), ''].join('\n'),
    html: [
      ...paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`),
      '<table>',
      ...facts.map(([label, value]) => `<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`),
      '</table>',
    ].join('\n'),
    messageId: bankTransferMessageId(kind, order.orderId, input.mailFrom),
    attachments: [],
  };
}

function payeeFacts(details: BankTransferDetails): [string, string][] {
  return [
    ['Bank', details.bankName],
    ['Account name', details.accountName],
    ['Account number', details.accountNumber],
  ];
}

/** One Message-ID per order and kind, so a retried send is recognisable as the same message. */
export function bankTransferMessageId(kind: BankTransferEmailKind, orderId: string, mailFrom: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(mailFrom)?.[1] ?? 'refill.invalid';
  return `<bank-transfer-${kind}.${orderId}@${domain.toLowerCase()}>`;
}

/** "2026-11-26 00:00 (UTC+08:00)": the deadline as the customer's bank counts days. */
function localTime(isoTimestamp: string, utcOffsetMinutes: number): string {
  const shifted = new Date(Date.parse(isoTimestamp) + utcOffsetMinutes * 60_000).toISOString();
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const magnitude = Math.abs(utcOffsetMinutes);
  const offset = `${String(Math.floor(magnitude / 60)).padStart(2, '0')}:${String(magnitude % 60).padStart(2, '0')}`;
  return `${shifted.slice(0, 10)} ${shifted.slice(11, 16)} (UTC${sign}${offset})`;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
