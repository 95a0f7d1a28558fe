// The promo_codes row and its domain form.
import type { Currency } from '../../domain/money.ts';
import type { PromoCode, PromoKind } from '../../domain/promo-codes.ts';

export interface PromoCodeRow {
  code: string;
  kind: PromoKind;
  value: bigint;
  currency: Currency;
  minimum_amount_micros: bigint;
  expires_at: Date | null;
  maximum_redemptions: number | null;
  maximum_redemptions_per_account: number | null;
  description: string | null;
  created_at: Date;
}

export function promoCodeFromRow(row: PromoCodeRow): PromoCode {
  return {
    code: row.code,
    kind: row.kind,
    value: row.value,
    currency: row.currency,
    minimumAmountMicros: row.minimum_amount_micros,
    expiresAt: row.expires_at,
    maximumRedemptions: row.maximum_redemptions,
    maximumRedemptionsPerAccount: row.maximum_redemptions_per_account,
  };
}
