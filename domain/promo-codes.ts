// Promo codes: a discount on the payment or a bonus on the credit, bounded by currency, minimum amount,
// expiry and redemption limits. An order reserves its code; the reservation is redeemed when the order
// succeeds and released when it expires, is cancelled or fails.
import { basisPointsOf, floorToMinorUnit } from './pricing-math.ts';
import type { Currency } from './money.ts';

export const promoKinds = ['discount_percent', 'discount_fixed', 'bonus_percent', 'bonus_fixed'] as const;
export type PromoKind = (typeof promoKinds)[number];

export interface PromoCode {
  code: string;
  kind: PromoKind;
  /** Basis points for the percent kinds (1000 is 10%), micro-units for the fixed kinds. */
  value: bigint;
  currency: Currency;
  minimumAmountMicros: bigint;
  expiresAt: Date | null;
  /** Reservations and redemptions together, across all accounts; null is unlimited. */
  maximumRedemptions: number | null;
  maximumRedemptionsPerAccount: number | null;
}

export type PromoRefusalCode =
  | 'promo_code_not_found'
  | 'promo_code_expired'
  | 'promo_code_exhausted'
  | 'promo_code_limit_reached'
  | 'promo_code_not_applicable';

export interface PromoRefusal {
  code: PromoRefusalCode;
  message: string;
}

export type PromoApplication =
  | { ok: true; discountMicros: bigint; bonusMicros: bigint }
  | { ok: false; refusal: PromoRefusal };

/** The shape of a (normalised) promo code, as the promo_codes table's check constraint has it. */
export const promoCodePattern = /^[A-Z0-9_-]{3,40}$/;

/** Promo codes are matched case-insensitively and stored in upper case. */
export function normalizePromoCode(code: string): string {
  return code.trim().toUpperCase();
}

/** What a code gives on an amount, or why it does not apply. Redemption limits are checked in the database. */
export function applyPromoCode(
  promo: PromoCode,
  order: { currency: Currency; amountMicros: bigint },
  now: Date,
): PromoApplication {
  if (promo.expiresAt !== null && promo.expiresAt.getTime() <= now.getTime()) {
    return refuse('promo_code_expired', `Promo code ${promo.code} has expired.`);
  }
  if (promo.currency !== order.currency) {
    return refuse('promo_code_not_applicable', `Promo code ${promo.code} is for ${promo.currency} accounts.`);
  }
  if (order.amountMicros < promo.minimumAmountMicros) {
    return refuse('promo_code_not_applicable', `Promo code ${promo.code} needs a larger top-up.`);
  }
  switch (promo.kind) {
    case 'discount_percent':
      // Rounded down to whole cents, so the payment stays chargeable.
      return discountOf(promo, order.amountMicros, floorToMinorUnit(basisPointsOf(order.amountMicros, Number(promo.value)), order.currency));
    case 'discount_fixed':
      return discountOf(promo, order.amountMicros, promo.value);
    case 'bonus_percent':
      return { ok: true, discountMicros: 0n, bonusMicros: basisPointsOf(order.amountMicros, Number(promo.value)) };
    case 'bonus_fixed':
      return { ok: true, discountMicros: 0n, bonusMicros: promo.value };
  }
}

function discountOf(promo: PromoCode, amountMicros: bigint, discountMicros: bigint): PromoApplication {
  // Something must still be paid: a code that would make the top-up free does not apply to it.
  if (discountMicros >= amountMicros) {
    return refuse('promo_code_not_applicable', `Promo code ${promo.code} needs a larger top-up.`);
  }
  return { ok: true, discountMicros, bonusMicros: 0n };
}

function refuse(code: PromoRefusalCode, message: string): PromoApplication {
  return { ok: false, refusal: { code, message } };
}
