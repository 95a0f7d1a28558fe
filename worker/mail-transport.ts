// Builds the SMTP transport the invoice email activity sends through, from SMTP_URL. STARTTLS is
// used whenever the server offers it; the local inbox and mailpit do not, so they are spoken to in
// plain SMTP. smtps:// URLs use TLS from the first byte.
import { createTransport } from 'nodemailer';
import type { Config } from '../config/config.ts';

/** A server that does not accept the connection in this time is reported as down (and retried). */
const connectionTimeoutMilliseconds = 10_000;
/** Time for the server's greeting once connected. */
const greetingTimeoutMilliseconds = 10_000;
/** Inactivity during a session that counts as a dead connection; below the activity's 1-minute timeout. */
const socketTimeoutMilliseconds = 30_000;
const dnsTimeoutMilliseconds = 10_000;

export function createMailTransport(mail: Config['mail']) {
  return createTransport({
    url: mail.smtpUrl,
    connectionTimeout: connectionTimeoutMilliseconds,
    greetingTimeout: greetingTimeoutMilliseconds,
    socketTimeout: socketTimeoutMilliseconds,
    dnsTimeout: dnsTimeoutMilliseconds,
  });
}

export type SmtpMailTransport = ReturnType<typeof createMailTransport>;
