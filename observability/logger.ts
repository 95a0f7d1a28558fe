// Structured JSON logs for both processes. Secrets never reach a log line: the redaction paths below
// cover the places they could appear (headers, keys), and callers log ids, never payloads.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level: string): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    redact: {
      paths: ['headers.authorization', 'headers["stripe-signature"]', 'apiKey', 'api_key', '*.apiKey', '*.api_key'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
