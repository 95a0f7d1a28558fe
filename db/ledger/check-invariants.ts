// Audits the ledger's invariants; an empty result means the books are consistent.
import type { Sql } from '../client.ts';

export interface InvariantViolation {
  invariant: 'currency_sums_to_zero' | 'transfer_sums_to_zero' | 'cached_balance_matches_entries' | 'balance_not_negative' | 'balance_after_chain';
  detail: string;
}

/** Runs every check in one snapshot, so concurrent transfers cannot make a consistent ledger look broken. */
export async function checkLedgerInvariants(sql: Sql): Promise<InvariantViolation[]> {
  return sql.begin('isolation level repeatable read read only', async (transaction) => {
    const violations: InvariantViolation[] = [];
    const currencySums = await transaction<{ currency: string; total: bigint }[]>`
      select l.currency, sum(e.amount_micros)::bigint as total
      from entries e join ledger_accounts l on l.id = e.ledger_account_id
      group by l.currency having sum(e.amount_micros) <> 0`;
    for (const row of currencySums) {
      violations.push({ invariant: 'currency_sums_to_zero', detail: `${row.currency} entries sum to ${row.total}` });
    }
    const transferSums = await transaction<{ transfer_id: bigint; total: bigint }[]>`
      select transfer_id, sum(amount_micros)::bigint as total from entries
      group by transfer_id having sum(amount_micros) <> 0 limit 10`;
    for (const row of transferSums) {
      violations.push({ invariant: 'transfer_sums_to_zero', detail: `transfer ${row.transfer_id} sums to ${row.total}` });
    }
    const balances = await transaction<{ code: string; cached: bigint; summed: bigint }[]>`
      select l.code, l.balance_micros as cached, coalesce(sum(e.amount_micros), 0)::bigint as summed
      from ledger_accounts l left join entries e on e.ledger_account_id = l.id
      group by l.id having l.balance_micros <> coalesce(sum(e.amount_micros), 0)`;
    for (const row of balances) {
      violations.push({ invariant: 'cached_balance_matches_entries', detail: `${row.code}: cached ${row.cached}, entries ${row.summed}` });
    }
    const negative = await transaction<{ code: string; balance_micros: bigint }[]>`
      select code, balance_micros from ledger_accounts where not may_go_negative and balance_micros < 0`;
    for (const row of negative) {
      violations.push({ invariant: 'balance_not_negative', detail: `${row.code} is ${row.balance_micros}` });
    }
    // Each entry's balance_after must be the previous entry's plus its own amount.
    const chain = await transaction<{ entry_id: bigint; code: string }[]>`
      select e.id as entry_id, l.code from (
        select id, ledger_account_id, balance_after_micros,
               sum(amount_micros) over (partition by ledger_account_id order by id) as running
        from entries
      ) e join ledger_accounts l on l.id = e.ledger_account_id
      where e.balance_after_micros <> e.running limit 10`;
    for (const row of chain) {
      violations.push({ invariant: 'balance_after_chain', detail: `entry ${row.entry_id} on ${row.code}` });
    }
    return violations;
  });
}
