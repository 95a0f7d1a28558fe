// Reads a customer's balance with its holds: the ledger account holds what is available, the active
// holds what is held; the settled balance is their sum.
import type { Queryable } from '../client.ts';
import type { Currency } from '../../domain/money.ts';
import { customerBalanceCode } from '../ledger/ledger-account-codes.ts';

export interface AvailableBalance {
  currency: Currency;
  /** Settled credit: what the customer has, held or not. */
  balanceMicros: bigint;
  /** On active holds, until each is captured, voided or released at its expiry. */
  heldMicros: bigint;
  /** What a consumption or a new hold may take now: balance − held. */
  availableMicros: bigint;
  updatedAt: Date;
}

/** One statement, so the three figures come from one snapshot. */
export async function getAvailableBalance(sql: Queryable, accountId: string): Promise<AvailableBalance | null> {
  const [row] = await sql<{ currency: Currency; available_micros: bigint; held_micros: bigint; updated_at: Date }[]>`
    select l.currency, l.balance_micros as available_micros, l.updated_at,
           coalesce((select sum(h.amount_micros) from holds h where h.account_id = ${accountId} and h.status = 'active'), 0)::bigint as held_micros
    from ledger_accounts l where l.code = ${customerBalanceCode(accountId)}`;
  if (row === undefined) return null;
  return {
    currency: row.currency,
    balanceMicros: row.available_micros + row.held_micros,
    heldMicros: row.held_micros,
    availableMicros: row.available_micros,
    updatedAt: row.updated_at,
  };
}
