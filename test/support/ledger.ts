// Ledger fixtures: money on an account without going through an order's workflow, and the balance
// read straight from the database.
import type { Sql } from '../../db/client.ts';
import { getBalance } from '../../db/ledger/get-balance.ts';
import { recordRecharge } from '../../db/ledger/record-recharge.ts';
import type { Currency } from '../../domain/money.ts';
import { randomToken } from '../../ids/ids.ts';

/** Credits the account as a paid order of an id of its own would, with no bonus; nothing for zero. */
export async function fundAccountDirectly(sql: Sql, accountId: string, currency: Currency, creditMicros: bigint): Promise<void> {
  if (creditMicros <= 0n) return;
  await recordRecharge(sql, {
    orderId: `ord_${randomToken()}`,
    accountId,
    currency,
    payAmountMicros: creditMicros,
    creditMicros,
    description: 'test top-up',
  });
}

/** The account's balance in micro-units, from the ledger; the account must exist. */
export async function balanceMicrosOf(sql: Sql, accountId: string): Promise<bigint> {
  return (await getBalance(sql, accountId))!.balanceMicros;
}
