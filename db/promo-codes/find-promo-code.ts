// Finds a promo code with its current usage, for quotes (read-only: reservations happen with the order).
import type { Sql } from '../client.ts';
import type { PromoCodeRow } from './promo-code-row.ts';

export interface PromoCodeWithUsage {
  row: PromoCodeRow;
  /** Reserved plus redeemed, across all accounts. */
  activeReservations: number;
  activeReservationsForAccount: number;
  redeemed: number;
}

export async function findPromoCode(sql: Sql, code: string, accountId: string | null): Promise<PromoCodeWithUsage | null> {
  const [row] = await sql<(PromoCodeRow & { active: number; active_for_account: number; redeemed: number })[]>`
    select p.*,
      (select count(*)::int from promo_reservations r where r.code = p.code and r.status <> 'released') as active,
      (select count(*)::int from promo_reservations r
        where r.code = p.code and r.status <> 'released' and r.account_id = ${accountId}) as active_for_account,
      (select count(*)::int from promo_reservations r where r.code = p.code and r.status = 'redeemed') as redeemed
    from promo_codes p where p.code = ${code}`;
  if (row === undefined) return null;
  const { active, active_for_account, redeemed, ...promo } = row;
  return { row: promo, activeReservations: active, activeReservationsForAccount: active_for_account, redeemed };
}
