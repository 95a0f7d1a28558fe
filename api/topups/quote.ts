// Prices a top-up request for an account: parses the choice, finds the promo code, computes the quote.
// Shared by POST /v1/topup-quotes (no side effects) and POST /v1/topups (which locks the quote in).
import { z } from 'zod';
import type { AuthenticatedAccount } from '../../db/accounts/find-account-by-api-key.ts';
import type { Sql } from '../../db/client.ts';
import { findPromoCode } from '../../db/promo-codes/find-promo-code.ts';
import { promoCodeFromRow } from '../../db/promo-codes/promo-code-row.ts';
import { ApiError } from '../../domain/errors.ts';
import { formatMicros } from '../../domain/money.ts';
import type { OrderTerms } from '../../domain/orders.ts';
import { computeQuote, paymentMethods, type Pricing, type Quote } from '../../domain/pricing.ts';
import { normalizePromoCode, promoCodePattern, type PromoCode } from '../../domain/promo-codes.ts';
import { amountSchema, storedText } from '../validation.ts';

/** The fields that choose what to buy; POST /v1/topups adds its own to these. */
export const quoteFields = {
  amount: amountSchema.optional(),
  package_id: storedText(1, 40).optional(),
  payment_method: z.enum(paymentMethods),
  promo_code: storedText(1, 40).optional(),
};

export const quoteBody = z.strictObject(quoteFields);

export interface QuoteChoice {
  amount?: bigint | undefined;
  package_id?: string | undefined;
  payment_method: (typeof paymentMethods)[number];
  promo_code?: string | undefined;
}

export interface ResolvedQuote {
  quote: Quote;
  promo: PromoCode | null;
}

export async function resolveQuote(
  sql: Sql,
  pricing: Pricing,
  account: AuthenticatedAccount,
  choice: QuoteChoice,
): Promise<ResolvedQuote> {
  if ((choice.amount === undefined) === (choice.package_id === undefined)) {
    throw new ApiError('missing_field', 'Send exactly one of amount and package_id.', 'amount');
  }
  let promo: PromoCode | null = null;
  if (choice.promo_code !== undefined) {
    const code = normalizePromoCode(choice.promo_code);
    // A code of the wrong shape names no promo code: the same answer, without a query.
    const found = promoCodePattern.test(code) ? await findPromoCode(sql, code, account.accountId) : null;
    if (found === null) throw new ApiError('promo_code_not_found', `No promo code ${choice.promo_code}.`, 'promo_code');
    promo = promoCodeFromRow(found.row);
    // Checked again, under a lock, when the order reserves the code; this gives the precise reason early.
    if (promo.maximumRedemptions !== null && found.activeReservations >= promo.maximumRedemptions) {
      throw new ApiError('promo_code_exhausted', `Promo code ${promo.code} has been used up.`, 'promo_code');
    }
    if (promo.maximumRedemptionsPerAccount !== null && found.activeReservationsForAccount >= promo.maximumRedemptionsPerAccount) {
      throw new ApiError('promo_code_limit_reached', `This account has already used promo code ${promo.code}.`, 'promo_code');
    }
  }
  const result = computeQuote(
    pricing,
    {
      currency: account.currency,
      paymentMethod: choice.payment_method,
      amountMicros: choice.amount ?? null,
      packageId: choice.package_id ?? null,
      promoCode: promo,
    },
    new Date(),
  );
  if (!result.ok) {
    const field = result.refusal.code.startsWith('promo_code') || result.refusal.code === 'pay_amount_below_minimum'
      ? 'promo_code'
      : result.refusal.code === 'unknown_package'
        ? 'package_id'
        : result.refusal.code === 'payment_method_unavailable'
          ? 'payment_method'
          : choice.package_id !== undefined
            ? 'package_id'
            : 'amount';
    throw new ApiError(result.refusal.code, result.refusal.message, field);
  }
  return { quote: result.quote, promo };
}

/** The quote as locked into an order (money as six-decimal strings, as in workflow payloads). */
export function orderTermsFromQuote(quote: Quote): OrderTerms {
  return {
    currency: quote.currency,
    paymentMethod: quote.paymentMethod,
    packageId: quote.packageId,
    amount: formatMicros(quote.amountMicros),
    discount: formatMicros(quote.discountMicros),
    payAmount: formatMicros(quote.payAmountMicros),
    bonus: formatMicros(quote.bonusMicros),
    credit: formatMicros(quote.creditMicros),
    promoCode: quote.promoCode,
  };
}
