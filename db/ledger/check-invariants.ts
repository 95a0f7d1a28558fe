// Audits the ledger's invariants; an empty result means the books are consistent.
import type { Sql, TransactionSql } from '../client.ts';

export interface InvariantViolation {
  invariant:
    | 'currency_sums_to_zero'
    | 'transfer_sums_to_zero'
    | 'cached_balance_matches_entries'
    | 'balance_not_negative'
    | 'balance_after_chain'
    | 'debt_not_positive'
    | 'refunds_within_pay_amount'
    | 'refund_credit_once'
    // Holds (migration 0012): see checkHoldInvariants.
    | 'available_not_negative'
    | 'held_matches_active_holds'
    | 'hold_settled_once';
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
    violations.push(...(await refundViolations(transaction)));
    violations.push(...(await checkHoldInvariants(transaction)));
    return violations;
  });
}

/**
 * Money going back (migration 0011): a customer's debt is never positive; an order's refunds not rejected
 * or failed never exceed what it paid, nor their credit removed its credit; a refund's credit is taken at
 * most once, and given back only if the refund failed.
 */
async function refundViolations(transaction: TransactionSql): Promise<InvariantViolation[]> {
  const violations: InvariantViolation[] = [];
  const debts = await transaction<{ code: string; balance_micros: bigint }[]>`
    select code, balance_micros from ledger_accounts where kind = 'customer_debt' and balance_micros > 0`;
  for (const row of debts) violations.push({ invariant: 'debt_not_positive', detail: `${row.code} is ${row.balance_micros}` });
  const overRefunded = await transaction<{ order_id: string }[]>`
    select r.order_id from refunds r join orders o on o.id = r.order_id
    where r.status not in ('rejected', 'failed') and r.requested_by <> 'provider'
    group by r.order_id, o.pay_amount_micros, o.credit_micros
    having sum(r.amount_micros) > o.pay_amount_micros or sum(r.credit_removed_micros) > o.credit_micros limit 10`;
  for (const row of overRefunded) violations.push({ invariant: 'refunds_within_pay_amount', detail: `order ${row.order_id}` });
  const credited = await transaction<{ id: string }[]>`
    select r.id from refunds r
    where (select count(*) from transfers t where t.idempotency_key in ('refund:' || r.id)) > 1
       or (r.status <> 'failed' and exists (select 1 from transfers t where t.idempotency_key = 'refund-reversal:' || r.id))
       or (r.status = 'failed' and r.transfer_id is not null and r.reversal_transfer_id is null)
    limit 10`;
  for (const row of credited) violations.push({ invariant: 'refund_credit_once', detail: `refund ${row.id}` });
  return violations;
}

/**
 * The holds' invariants: a customer's ledger account is what is available, never negative; the holds
 * shards of a currency hold exactly the active holds' amounts; a hold has one settlement, and has it
 * exactly when it has ended, a capture's consuming just the captured amount.
 */
async function checkHoldInvariants(transaction: TransactionSql): Promise<InvariantViolation[]> {
  const violations: InvariantViolation[] = [];
  const negative = await transaction<{ code: string; balance_micros: bigint }[]>`
    select code, balance_micros from ledger_accounts where kind = 'customer_balance' and balance_micros < 0 limit 10`;
  for (const row of negative) {
    violations.push({ invariant: 'available_not_negative', detail: `${row.code} has ${row.balance_micros} available` });
  }
  const held = await transaction<{ currency: string; on_shards: bigint; on_holds: bigint }[]>`
    select c.currency,
           coalesce((select sum(l.balance_micros) from ledger_accounts l where l.kind = 'holds' and l.currency = c.currency), 0)::bigint as on_shards,
           coalesce((select sum(h.amount_micros) from holds h where h.status = 'active' and h.currency = c.currency), 0)::bigint as on_holds
    from (values ('USD'), ('CNY')) as c(currency)`;
  for (const row of held) {
    if (row.on_shards !== row.on_holds) {
      violations.push({ invariant: 'held_matches_active_holds', detail: `${row.currency}: holds accounts ${row.on_shards}, active holds ${row.on_holds}` });
    }
  }
  const settlements = await transaction<{ id: string; status: string; problem: string }[]>`
    select h.id, h.status, case
      when (h.status in ('captured', 'voided', 'expired')) <> (t.id is not null) then 'ended without a settlement, or settled and not ended'
      when h.settlement_transfer_id is distinct from t.id then 'records another settlement transfer'
      when h.status = 'captured' and h.captured_micros <> coalesce((
        select sum(e.amount_micros) from entries e join ledger_accounts l on l.id = e.ledger_account_id
        where e.transfer_id = t.id and l.kind = 'usage_revenue'), 0) then 'consumed other than its captured amount'
    end as problem
    from holds h left join transfers t on t.idempotency_key = 'hold:' || h.id || ':settle'
    where h.status <> 'pending' or t.id is not null`;
  for (const row of settlements) {
    if (row.problem !== null) violations.push({ invariant: 'hold_settled_once', detail: `hold ${row.id} (${row.status}) ${row.problem}` });
  }
  return violations;
}
