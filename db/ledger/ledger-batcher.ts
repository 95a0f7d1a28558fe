// Group commit for the ledger: transfers submitted by many concurrent callers are posted together, one
// call to post_transfers() per batch, so that they share one transaction, one commit and one disk flush
// instead of paying for one each.
//
// A batch leaves as soon as an executor is free, at the end of the current turn of the event loop;
// nothing waits on a timer. While every executor is busy, new transfers queue and leave together in the
// next batch, so batches grow with the load and a lone transfer is posted at once. The queue is bounded:
// beyond it, submit() refuses at once with a retryable error, so that an overload shows as quick
// refusals instead of ever longer waits.
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import type { Sql } from '../client.ts';
import { postTransfer, type PostTransferInput, type PostTransferResult } from './post-transfer.ts';
import { maximumTransfersPerCall, postTransfers, type PostTransfersOutcome } from './post-transfers.ts';

/**
 * Transfers per batch. A batch holds the locks of all the ledger accounts it names until its commit is
 * on disk, so this bounds how long anything else waits for one of them (about 15 ms at this size on the
 * benchmark's machine, see bench/README-ledger.md).
 */
export const maximumTransfersPerBatch = 256;
/** Transfers waiting for a batch, beyond which submit() refuses: well under a second of work. */
export const maximumQueuedTransfers = 4_096;
/**
 * Batches posted at the same time, each on a connection of the pool; never more than the pool's size.
 * Two, so that the results of one batch are handled here while the next runs in Postgres. More do not
 * run side by side: every batch of any size names most platform shard accounts, so they would only
 * queue for each other's row locks.
 */
export const maximumBatchesInFlight = 2;
/** A queue is split among free executors only into batches of at least this many transfers. */
const minimumTransfersPerSharedBatch = 32;

/** The batcher is full or closed; nothing was recorded, and the same transfer may be submitted again. */
export class LedgerBusyError extends Error {
  override name = 'LedgerBusyError';
  readonly retryable = true;
}

/** Told of every batch once it has been posted (observability/metrics.ts counts them); must not throw. */
export interface LedgerBatcherObserver {
  batchPosted(transfers: number, seconds: number): void;
}

export interface LedgerBatcherOptions {
  /** maximumBatchesInFlight by default, or the pool's size when smaller; never more than the pool's size. */
  batchesInFlight?: number;
  transfersPerBatch?: number;
  queuedTransfers?: number;
  observer?: LedgerBatcherObserver;
}

/** Counts since the batcher was made, for benchmarks and diagnostics. */
export interface LedgerBatcherStatistics {
  batches: number;
  transfers: number;
  /** Batches the server refused as a whole, whose transfers were then posted one by one. */
  batchesPostedOneByOne: number;
}

interface PendingTransfer {
  input: PostTransferInput;
  resolve: (result: PostTransferResult) => void;
  reject: (error: unknown) => void;
}

function assertLimit(name: string, value: number, maximum: number): void {
  if (!Number.isInteger(value) || value < 1 || value > maximum) {
    throw new RangeError(`${name} must be a whole number from 1 to ${maximum}, not ${value}`);
  }
}

/** Posts transfers in batches; each caller gets its own transfer's result, or its own LedgerError. */
export class LedgerBatcher {
  readonly #sql: Sql;
  readonly #batchesInFlight: number;
  readonly #transfersPerBatch: number;
  readonly #queuedTransfers: number;
  readonly #queue: PendingTransfer[] = [];
  readonly #whenIdle: (() => void)[] = [];
  readonly #statistics: LedgerBatcherStatistics = { batches: 0, transfers: 0, batchesPostedOneByOne: 0 };
  readonly #observer: LedgerBatcherObserver | undefined;
  #running = 0;
  #dispatchScheduled = false;
  #closed = false;

  constructor(sql: Sql, options: LedgerBatcherOptions = {}) {
    this.#sql = sql;
    this.#batchesInFlight = options.batchesInFlight ?? Math.min(maximumBatchesInFlight, sql.options.max);
    this.#transfersPerBatch = options.transfersPerBatch ?? maximumTransfersPerBatch;
    this.#queuedTransfers = options.queuedTransfers ?? maximumQueuedTransfers;
    this.#observer = options.observer;
    // Each batch in flight holds a connection; more batches than connections would only wait for one.
    assertLimit('batchesInFlight', this.#batchesInFlight, sql.options.max);
    assertLimit('transfersPerBatch', this.#transfersPerBatch, maximumTransfersPerCall);
    assertLimit('queuedTransfers', this.#queuedTransfers, Number.MAX_SAFE_INTEGER);
  }

  /**
   * Posts the transfer in the next batch. Resolves and rejects as postTransfer would (LedgerError with
   * the same codes); rejects with LedgerBusyError when the queue is full or the batcher is closed; and
   * rejects with the batch's error when the whole batch failed (a lost connection), in which case the
   * transfer may or may not have been recorded, and submitting it again with the same key is safe.
   */
  submit(input: PostTransferInput): Promise<PostTransferResult> {
    if (this.#closed) return Promise.reject(new LedgerBusyError('the ledger is shutting down'));
    if (this.#queue.length >= this.#queuedTransfers) {
      return Promise.reject(new LedgerBusyError(`the ledger already has ${this.#queue.length} transfers waiting`));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      this.#scheduleDispatch();
    });
  }

  /** Refuses new transfers, and resolves once every queued and running batch has finished. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#dispatch();
    if (this.#running === 0 && this.#queue.length === 0) return;
    await new Promise<void>((resolve) => this.#whenIdle.push(resolve));
  }

  /** Transfers waiting for a batch now. */
  queueDepth(): number {
    return this.#queue.length;
  }

  /** What the batcher has done so far. */
  statistics(): LedgerBatcherStatistics {
    return { ...this.#statistics };
  }

  /**
   * Batches are formed at the end of the current turn of the event loop (setImmediate: no timer), so that
   * the transfers submitted during that turn, for instance by the callers whose batch just returned,
   * leave together instead of one by one.
   */
  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    setImmediate(() => {
      this.#dispatchScheduled = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#running < this.#batchesInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#nextBatchSize());
      this.#running += 1;
      this.#statistics.batches += 1;
      this.#statistics.transfers += batch.length;
      const startedMilliseconds = performance.now();
      void this.#post(batch).finally(() => {
        this.#running -= 1;
        this.#observer?.batchPosted(batch.length, (performance.now() - startedMilliseconds) / 1000);
        if (this.#closed) this.#dispatch();
        else this.#scheduleDispatch();
        if (this.#running === 0 && this.#queue.length === 0) {
          for (const resolve of this.#whenIdle.splice(0)) resolve();
        }
      });
    }
  }

  /**
   * A long queue is shared out among the free executors, so that while one batch is in Postgres the
   * results of another are handled here, instead of every caller waiting on the same batch; a short
   * one leaves whole, because below a few dozen transfers the cost of a call outweighs that overlap.
   */
  #nextBatchSize(): number {
    const freeExecutors = this.#batchesInFlight - this.#running;
    const shared = Math.max(minimumTransfersPerSharedBatch, Math.ceil(this.#queue.length / freeExecutors));
    return Math.min(this.#transfersPerBatch, shared);
  }

  /** Posts one batch and settles every caller's promise; never rejects. */
  async #post(batch: PendingTransfer[]): Promise<void> {
    let outcomes: PostTransfersOutcome[];
    try {
      outcomes = await postTransfers(this.#sql, batch.map((pending) => pending.input));
    } catch (error) {
      if (error instanceof postgres.PostgresError) {
        await this.#postOneByOne(batch);
        return;
      }
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, index) => {
      const outcome = outcomes[index]!;
      if (outcome.posted) pending.resolve(outcome.result);
      else pending.reject(outcome.error);
    });
  }

  /**
   * The server refused the whole batch, so nothing of it was recorded: a transfer broke a rule the batch
   * does not check for (a check constraint, a missing customer account), or a reused key raced the batch
   * (RF005), or a deadlock between reused keys was broken. Posting each transfer on its own gives every
   * caller the answer its own transfer gets, and the others are not held back by it.
   */
  async #postOneByOne(batch: PendingTransfer[]): Promise<void> {
    this.#statistics.batchesPostedOneByOne += 1;
    for (const pending of batch) {
      try {
        pending.resolve(await postTransfer(this.#sql, pending.input));
      } catch (error) {
        pending.reject(error);
      }
    }
  }
}
