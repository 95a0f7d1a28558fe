// The customer's balance right after an order's credit: the balance_after of the credit's entry on the
// customer's ledger account, for the checkout result page ("new balance"). Null until it is credited.
import type { Sql } from '../client.ts';
import { rechargeIdempotencyKey } from '../ledger/record-recharge.ts';

export async function getOrderCreditBalanceAfter(sql: Sql, orderId: string): Promise<bigint | null> {
  const [row] = await sql<{ balance_after_micros: bigint }[]>`
    select e.balance_after_micros from transfers t
    join entries e on e.transfer_id = t.id
    join ledger_accounts l on l.id = e.ledger_account_id and l.kind = 'customer_balance'
    where t.idempotency_key = ${rechargeIdempotencyKey(orderId)}`;
  return row?.balance_after_micros ?? null;
}
