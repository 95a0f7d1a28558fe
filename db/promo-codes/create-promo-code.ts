// Creates a promo code; codes are unique, so creating one twice is refused.
import postgres from 'postgres';
import type { Sql } from '../client.ts';
import type { PromoCode } from '../../domain/promo-codes.ts';
import type { PromoCodeRow } from './promo-code-row.ts';

export type CreatePromoCodeResult = { ok: true; row: PromoCodeRow } | { ok: false; reason: 'already_exists' };

export async function createPromoCode(
  sql: Sql,
  promo: PromoCode & { description: string | null },
): Promise<CreatePromoCodeResult> {
  try {
    const [row] = await sql<PromoCodeRow[]>`
      insert into promo_codes (code, kind, value, currency, minimum_amount_micros, expires_at,
                               maximum_redemptions, maximum_redemptions_per_account, description)
      values (${promo.code}, ${promo.kind}, ${promo.value.toString()}, ${promo.currency},
              ${promo.minimumAmountMicros.toString()}, ${promo.expiresAt}, ${promo.maximumRedemptions},
              ${promo.maximumRedemptionsPerAccount}, ${promo.description})
      returning *`;
    return { ok: true, row: row! };
  } catch (error) {
    if (error instanceof postgres.PostgresError && error.code === '23505') return { ok: false, reason: 'already_exists' };
    throw error;
  }
}
