// Structured JSON logs for both processes. Secrets never reach a log line: the redaction paths below
// cover the places they could appear (headers, keys), and callers log ids, never payloads.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** The logger of the process called `name`; its lines go to stdout unless a test gives another destination. */
export function createLogger(name: string, level: string, destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    base: { service: name },
    redact: {
      paths: ['headers.authorization', 'headers["stripe-signature"]', 'apiKey', 'api_key', '*.apiKey', '*.api_key'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
