// The disputes table's row (migration 0011).
import type { Currency } from '../../domain/money.ts';
import type { DisputeStatus } from '../../domain/refunds.ts';

export interface DisputeRow {
  id: string;
  sequence: bigint;
  order_id: string;
  account_id: string;
  status: DisputeStatus;
  currency: Currency;
  amount_micros: bigint;
  credit_taken_micros: bigint;
  debt_micros: bigint;
  transfer_id: bigint | null;
  reversal_transfer_id: bigint | null;
  provider_reason: string | null;
  opened_at: Date;
  closed_at: Date | null;
}
