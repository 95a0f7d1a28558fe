// The refund emails: the credit note (with its PDF), the failure notice to the customer, and the payout
// reminder to ops. Each has a Message-ID derived from the refund, so a retried send carries the same id.
import type { CreditNoteRow } from '../../db/credit-notes/credit-note-row.ts';
import { formatMicrosForPeople, microsFromDecimal } from '../../domain/money.ts';
import { creditNotePath, type RefundSnapshot } from '../../domain/refunds.ts';
import type { OutgoingMail } from '../invoices/compose-invoice-email.ts';

function domainOf(mailFrom: string): string {
  return (/@([A-Za-z0-9.-]+)>?\s*$/.exec(mailFrom)?.[1] ?? 'refill.invalid').toLowerCase();
}

function plainMail(input: { from: string; to: string; subject: string; lines: string[]; messageId: string }): OutgoingMail {
  const escaped = input.lines.map((line) => line.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`));
  return {
    from: input.from,
    to: input.to,
    subject: input.subject,
    text: `${input.lines.join('\n')}\n`,
    html: escaped.map((line) => `<p>${line}</p>`).join('\n'),
    messageId: input.messageId,
    attachments: [],
  };
}

export function composeCreditNoteEmail(note: CreditNoteRow & { pdf: Buffer }, mailFrom: string, publicBaseUrl: string): OutgoingMail {
  const money = (micros: bigint) => `${formatMicrosForPeople(micros, note.currency)} ${note.currency}`;
  const mail = plainMail({
    from: mailFrom,
    to: note.customer_email,
    subject: `Your Refill credit note ${note.number}`,
    lines: [
      `Your refund of ${money(note.amount_micros)} for order ${note.order_id} has been made; the credit note is attached.`,
      `Credit removed from your balance: ${money(note.credit_removed_micros)}.`,
      `It refers to invoice ${note.invoice_number ?? '(none)'}.`,
      `Download it again (with your API key): ${publicBaseUrl}${creditNotePath(note.refund_id)}`,
    ],
    messageId: `<credit-note.${note.number}@${domainOf(mailFrom)}>`,
  });
  return { ...mail, attachments: [{ filename: `${note.number}.pdf`, content: note.pdf, contentType: 'application/pdf' }] };
}

export function composeRefundFailedEmail(refund: RefundSnapshot, mailFrom: string): OutgoingMail {
  const money = `${formatMicrosForPeople(microsFromDecimal(refund.amount), refund.currency)} ${refund.currency}`;
  return plainMail({
    from: mailFrom,
    to: refund.customerEmail,
    subject: `Your Refill refund ${refund.refundId} could not be made`,
    lines: [
      `The refund of ${money} for order ${refund.orderId} could not be made.`,
      `Reason: ${refund.failureReason ?? 'not given'}`,
      'Any credit taken back for it is on your balance again.',
    ],
    messageId: `<refund-failed.${refund.refundId}@${domainOf(mailFrom)}>`,
  });
}

export function composePayoutReminderEmail(refund: RefundSnapshot, mailFrom: string, opsEmail: string): OutgoingMail {
  const money = `${formatMicrosForPeople(microsFromDecimal(refund.amount), refund.currency)} ${refund.currency}`;
  return plainMail({
    from: mailFrom,
    to: opsEmail,
    subject: `Payout waiting: refund ${refund.refundId}`,
    lines: [
      `Refund ${refund.refundId} of bank transfer order ${refund.orderId} (${money}) waits for its payout.`,
      `Pay it out and confirm with POST /admin/refunds/${refund.refundId}/confirm-payout {"bank_reference"}.`,
    ],
    messageId: `<payout-reminder.${refund.refundId}@${domainOf(mailFrom)}>`,
  });
}
