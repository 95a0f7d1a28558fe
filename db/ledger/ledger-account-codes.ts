// Names of ledger accounts, as stored in ledger_accounts.code.
import { createHash } from 'node:crypto';
import type { Currency } from '../../domain/money.ts';

export type PlatformAccountKind = 'payment_clearing' | 'promotional' | 'usage_revenue' | 'refunds' | 'holds';

/** Must match the shards seeded by migration 0001 (and 0012 for holds). */
export const platformAccountShardCount = 16;

/** The ledger account holding a customer's spendable balance. */
export function customerBalanceCode(accountId: string): string {
  return `customer:${accountId}`;
}

/**
 * The platform account of a kind that a customer's transfers use. Each customer always maps to the
 * same shard, so platform totals are the sum over shards, and hot customers do not contend with each other.
 */
export function platformAccountCode(kind: PlatformAccountKind, currency: Currency, accountId: string): string {
  const shard = createHash('sha256').update(accountId).digest().readUInt16BE(0) % platformAccountShardCount;
  return `${kind}:${currency}:${String(shard).padStart(2, '0')}`;
}
