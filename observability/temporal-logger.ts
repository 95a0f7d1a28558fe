// A Temporal SDK Logger that writes into the process's pino logger, so workflow, activity, worker and
// Core lines land in the one JSON stream with the same redaction as every other line.
import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/common';
import { LogTimestamp } from '@temporalio/worker';
import type { Logger } from './logger.ts';
import { temporalLogFields } from './temporal-log-fields.ts';

type PinoLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const pinoLevels: Record<LogLevel, PinoLevel> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The Temporal Logger for Runtime.install: each SDK line goes to `logger` at the matching level. */
export function temporalLoggerFor(logger: Logger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    const pinoLevel = pinoLevels[level] ?? 'info';
    // Core can be chatty below WARN; skip building the fields of a line pino would drop anyway.
    if (!logger.isLevelEnabled(pinoLevel)) return;
    logger[pinoLevel]({ ...temporalLogFields(meta), ...emittedAt(meta) }, message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

/**
 * When the line was written at its source. The SDK holds lines for about 100 ms to sort workflow and
 * Core lines into one order, so pino's `time` (when the line reached pino) can be later than this.
 */
function emittedAt(meta: LogMetadata | undefined): { emittedAt?: string } {
  const nanoseconds: unknown = meta?.[LogTimestamp];
  if (typeof nanoseconds !== 'bigint') return {};
  return { emittedAt: new Date(Number(nanoseconds / 1_000_000n)).toISOString() };
}
