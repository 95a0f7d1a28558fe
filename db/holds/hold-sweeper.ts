// Runs expireHolds every second in a long-running process (the API and the worker both run one), so an
// expired hold is released within about a second whichever process created it, crashed or not.
import type { Sql } from '../client.ts';
import type { Logger } from '../../observability/logger.ts';
import { expireHolds } from './expire-holds.ts';
import type { TransferSubmitter } from './hold-refusal.ts';

/** Time between the end of one sweep and the start of the next. */
export const holdSweepInterval_ms = 1_000;

export interface HoldSweeper {
  /** Stops sweeping, and resolves once a sweep in progress has finished. */
  stop(): Promise<void>;
}

/** Starts sweeping; a failed sweep (Postgres down) is logged and the next one tries again. */
export function startHoldSweeper(sql: Sql, ledger: TransferSubmitter, logger: Logger, interval_ms = holdSweepInterval_ms): HoldSweeper {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const sweep = async (): Promise<void> => {
    try {
      const result = await expireHolds(sql, ledger);
      if (result.released > 0) logger.info({ released: result.released, skipped: result.skipped }, 'expired holds released');
    } catch (error) {
      logger.warn({ err: error }, 'hold sweep failed; the next one tries again');
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sweep().finally(schedule);
    }, interval_ms);
    timer.unref();
  };
  schedule();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
