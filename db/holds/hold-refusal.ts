// Why a hold operation was refused; nothing was changed. The API maps each code to its error (domain/errors.ts).
import type { LedgerBatcher } from '../ledger/ledger-batcher.ts';

export type HoldRefusalCode =
  | 'not_found'
  | 'insufficient_balance'
  | 'spend_limit_reached'
  | 'idempotency_key_reused'
  | 'hold_already_captured'
  | 'hold_voided'
  | 'hold_expired'
  | 'capture_exceeds_hold';

export class HoldRefusal extends Error {
  override name = 'HoldRefusal';
  constructor(
    readonly code: HoldRefusalCode,
    message: string,
  ) {
    super(message);
  }
}

/** Where hold operations post their transfers: the ledger batcher, shared with consumptions. */
export type TransferSubmitter = Pick<LedgerBatcher, 'submit'>;

/**
 * How many times an operation prepares its transfer again when the hold changed in between (an
 * extension racing a capture of the same hold): a bound, since each retry reads the hold afresh.
 */
export const maximumHoldAttempts = 3;
