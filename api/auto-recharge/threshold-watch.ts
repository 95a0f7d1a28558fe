// The deduction paths' hook into automatic recharge (POST /v1/consumptions, POST /v1/holds): kept off
// their latency. Each API process caches every account's threshold (or that it has none) for a few
// seconds; a deduction that takes the available balance from at or above the threshold to below it is
// a crossing, and only a crossing signals the account's workflow, with signal-with-start, without the
// request waiting for it. One workflow id per account keeps one recharge in flight, whatever the
// number of processes and concurrent deductions. The API's own PUT forgets the cached value at once.
import type { SignalDefinition } from '@temporalio/common';
import { LRUCache } from 'lru-cache';
import type { Config } from '../../config/config.ts';
import type { Sql } from '../../db/client.ts';
import {
  autoRechargeWorkflowId,
  autoRechargeWorkflowType,
  settingsChangedSignal,
  thresholdCrossedSignal,
  type AutoRechargeWorkflowInput,
} from '../../domain/auto-recharge.ts';
import { accountIdKey, paymentMethodKey } from '../../domain/search-attributes.ts';
import type { ApiDependencies } from '../dependencies.ts';

/** How long a process trusts its cached threshold; a PUT in another process is seen within this. */
export const thresholdCacheSeconds = 5;
const maximumCachedAccounts = 100_000;
const signalDeadlineMilliseconds = 5_000;

/** null: no enabled auto-recharge. */
type CachedThreshold = { thresholdMicros: bigint } | { thresholdMicros: null };

export interface ThresholdWatch {
  /** After a deduction of `amountMicros` that left `balanceAfterMicros`: signals on a crossing, never awaited. */
  afterDeduction(accountId: string, amountMicros: bigint, balanceAfterMicros: bigint): void;
  /** Starts (or wakes) the account's workflow: a PUT's new settings, or its enabling. */
  wake(accountId: string, version: number): Promise<void>;
}

const watches = new WeakMap<Config, ThresholdWatch>();

/** The process's watch, shared by the deduction routes and the settings route. */
export function thresholdWatch(dependencies: ApiDependencies): ThresholdWatch {
  let watch = watches.get(dependencies.config);
  if (watch === undefined) {
    watch = createThresholdWatch(dependencies);
    watches.set(dependencies.config, watch);
  }
  return watch;
}

async function readThreshold(sql: Sql, accountId: string): Promise<CachedThreshold> {
  const [row] = await sql<{ threshold_micros: bigint }[]>`
    select threshold_micros from auto_recharge_settings where account_id = ${accountId} and enabled`;
  return { thresholdMicros: row?.threshold_micros ?? null };
}

function createThresholdWatch(dependencies: ApiDependencies): ThresholdWatch {
  const { sql, temporalClient, logger, config } = dependencies;
  const cache = new LRUCache<string, CachedThreshold>({ max: maximumCachedAccounts, ttl: thresholdCacheSeconds * 1_000 });
  const input = (accountId: string): AutoRechargeWorkflowInput => ({ accountId, paperworkTaskQueue: config.temporal.paperworkTaskQueue });

  function signalWithStart<Argument>(accountId: string, signal: SignalDefinition<[Argument]>, argument: Argument): Promise<unknown> {
    return temporalClient.withDeadline(Date.now() + signalDeadlineMilliseconds, () =>
      temporalClient.workflow.signalWithStart<(input: AutoRechargeWorkflowInput) => Promise<void>, [Argument]>(autoRechargeWorkflowType, {
        workflowId: autoRechargeWorkflowId(accountId),
        taskQueue: config.temporal.taskQueue,
        args: [input(accountId)],
        signal,
        signalArgs: [argument],
        typedSearchAttributes: [
          { key: accountIdKey, value: accountId },
          { key: paymentMethodKey, value: 'auto_recharge' },
        ],
      }),
    );
  }

  async function check(accountId: string, amountMicros: bigint, balanceAfterMicros: bigint): Promise<void> {
    let cached = cache.get(accountId);
    if (cached === undefined) {
      cached = await readThreshold(sql, accountId);
      cache.set(accountId, cached);
    }
    const threshold = cached.thresholdMicros;
    if (threshold === null || balanceAfterMicros >= threshold || balanceAfterMicros + amountMicros < threshold) return;
    await signalWithStart(accountId, thresholdCrossedSignal, { balanceMicros: balanceAfterMicros.toString(), atMilliseconds: Date.now() });
    logger.info({ accountId, balance: balanceAfterMicros.toString() }, 'auto-recharge threshold crossed');
  }

  return {
    afterDeduction(accountId, amountMicros, balanceAfterMicros) {
      // A crossing that cannot be signalled now is caught by the next one, or the workflow's own rounds.
      check(accountId, amountMicros, balanceAfterMicros).catch((error: unknown) => logger.warn({ err: error, accountId }, 'auto-recharge crossing not signalled'));
    },
    async wake(accountId, version) {
      cache.delete(accountId);
      await signalWithStart(accountId, settingsChangedSignal, { version });
    },
  };
}
