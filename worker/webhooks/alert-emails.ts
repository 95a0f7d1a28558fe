// The low-balance email: one per balance.low event whose account asked for emails (the event is
// written once per crossing, so the email is too). Sent by the dispatcher after its deliveries.
import { sendPendingAlertEmail } from '../../db/balance-alerts/send-pending-alert-email.ts';
import type { Sql } from '../../db/client.ts';
import type { Currency } from '../../domain/money.ts';
import type { Logger } from '../../observability/logger.ts';
import type { MailTransport } from '../../activities/invoices.ts';
import { composeLowBalanceEmail } from './compose-emails.ts';

/** Emails sent in one poll at most; the rest wait for the next. */
const emailsPerPoll = 20;

interface AlertEmailDependencies {
  sql: Sql;
  logger: Logger;
  mailTransport: MailTransport;
  settings: { mailFrom: string };
}

/** SMTP 5xx replies (no such mailbox, policy refusal) will not change on retry. */
function isPermanentSmtpRefusal(error: unknown): boolean {
  const responseCode = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600;
}

/** Sends the pending alert emails, up to emailsPerPoll; a failure is logged and retried next poll. */
export async function sendAlertEmails(dependencies: AlertEmailDependencies): Promise<void> {
  for (let sent = 0; sent < emailsPerPoll; sent++) {
    try {
      const found = await sendPendingAlertEmail(dependencies.sql, async (alert) => {
        try {
          await dependencies.mailTransport.sendMail(composeLowBalanceEmail(
              { eventId: alert.eventId, to: alert.email, currency: alert.currency as Currency, availableMicros: alert.availableMicros, thresholdMicros: alert.thresholdMicros },
              dependencies.settings.mailFrom,
            ));
          return 'sent';
        } catch (error) {
          if (!isPermanentSmtpRefusal(error)) throw error;
          dependencies.logger.warn({ err: error, eventId: alert.eventId }, 'the mail server refused a low-balance email; it is not sent again');
          return 'failed';
        }
      });
      if (!found) return;
    } catch (error) {
      dependencies.logger.warn({ err: error }, 'a low-balance email could not be sent; the next poll tries again');
      return;
    }
  }
}
