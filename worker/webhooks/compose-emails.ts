// The emails of outgoing webhooks and balance alerts: the low-balance warning to the customer and the
// disabled-endpoint notice to ops. Each has a Message-ID from what it reports, so a resend carries it.
import type { OutgoingMail } from '../../activities/invoices/compose-invoice-email.ts';
import { formatMicrosForPeople, type Currency } from '../../domain/money.ts';

function domainOf(mailFrom: string): string {
  return (/@([A-Za-z0-9.-]+)>?\s*$/.exec(mailFrom)?.[1] ?? 'refill.invalid').toLowerCase();
}

function textMail(from: string, to: string, subject: string, lines: string[], messageId: string): OutgoingMail {
  const escaped = lines.map((line) => line.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`));
  return { from, to, subject, text: `${lines.join('\n')}\n`, html: escaped.map((line) => `<p>${line}</p>`).join('\n'), messageId, attachments: [] };
}

export interface LowBalanceEmailInput {
  eventId: string;
  to: string;
  currency: Currency;
  availableMicros: bigint;
  thresholdMicros: bigint;
}

export function composeLowBalanceEmail(input: LowBalanceEmailInput, mailFrom: string): OutgoingMail {
  const money = (micros: bigint) => `${formatMicrosForPeople(micros, input.currency)} ${input.currency}`;
  return textMail(
    mailFrom,
    input.to,
    `Your Refill balance is below ${money(input.thresholdMicros)}`,
    [`Your available balance is ${money(input.availableMicros)}, below the ${money(input.thresholdMicros)} you asked to be told about.`, 'Top up to keep your service running.'],
    `<balance-low.${input.eventId}@${domainOf(mailFrom)}>`,
  );
}

export function composeEndpointDisabledEmail(endpointId: string, url: string, to: string, mailFrom: string): OutgoingMail {
  return textMail(
    mailFrom,
    to,
    `Webhook endpoint ${endpointId} disabled`,
    [
      `Every delivery to ${url} (${endpointId}) failed for three days, so the endpoint was disabled and its pending deliveries marked failed.`,
      `Once it answers again: PATCH /admin/webhook-endpoints/${endpointId} {"enabled": true}, then POST /admin/webhook-events/{id}/redeliver`,
      `for the events it missed (GET /admin/webhook-events?endpoint_id=${endpointId}&status=failed).`,
    ],
    `<webhook-endpoint-disabled.${endpointId}.${Date.now()}@${domainOf(mailFrom)}>`,
  );
}
