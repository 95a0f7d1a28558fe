// Records a new order and reserves its promo code, in one transaction, once per order id.
import type { Sql, TransactionSql } from '../client.ts';
import type { OrderPaymentMethod, OrderTermsMicros } from '../../domain/orders.ts';
import type { PromoRefusal } from '../../domain/promo-codes.ts';

/** What every new order's row starts with, money in micro-units. */
export interface NewOrder {
  orderId: string;
  accountId: string;
  idempotencyKey: string;
  requestHash: string;
  paymentMethod: OrderPaymentMethod;
  packageId: string | null;
  promoCode: string | null;
  terms: OrderTermsMicros;
  /** ISO timestamps. */
  expiresAt: string;
  createdAt: string;
  /** The card the order is paid with is saved for off-session use once it is credited. */
  savePaymentMethod?: boolean;
}

export interface NewCheckoutOrder extends NewOrder {
  successUrl: string;
  cancelUrl: string;
}

export type InsertOrderResult = { ok: true; created: boolean } | { ok: false; refusal: PromoRefusal };

/**
 * Inserts the order; when it already exists (a retried activity) nothing changes. The promo code's
 * row is locked while its reservations are counted, so concurrent orders can never over-reserve it.
 */
export async function insertOrder(sql: Sql, input: NewCheckoutOrder): Promise<InsertOrderResult> {
  return sql.begin(async (transaction) => {
    const terms = input.terms;
    const inserted = await transaction`
      insert into orders (id, account_id, idempotency_key, request_hash, status, payment_method, currency,
                          package_id, amount_micros, discount_micros, pay_amount_micros, bonus_micros,
                          credit_micros, promo_code, success_url, cancel_url, expires_at, created_at, save_payment_method)
      values (${input.orderId}, ${input.accountId}, ${input.idempotencyKey}, ${input.requestHash}, 'pending',
              ${input.paymentMethod}, ${terms.currency}, ${input.packageId},
              ${terms.amountMicros}, ${terms.discountMicros}, ${terms.payAmountMicros}, ${terms.bonusMicros},
              ${terms.creditMicros}, ${input.promoCode}, ${input.successUrl},
              ${input.cancelUrl}, ${input.expiresAt}, ${input.createdAt}, ${input.savePaymentMethod ?? false})
      on conflict (id) do nothing
      returning id`;
    if (inserted.length === 0) return { ok: true as const, created: false };
    if (input.promoCode !== null) {
      const refusal = await reservePromoCode(transaction, input.promoCode, input.accountId, input.orderId);
      // Throwing rolls the order back too: a refused order leaves no trace.
      if (refusal !== null) throw new PromoReservationRefused(refusal);
    }
    return { ok: true as const, created: true };
  }).catch((error: unknown) => {
    if (error instanceof PromoReservationRefused) return { ok: false as const, refusal: error.refusal };
    throw error;
  });
}

class PromoReservationRefused extends Error {
  constructor(readonly refusal: PromoRefusal) {
    super(refusal.message);
  }
}

/** Reserves a promo code for an order inside the caller's transaction; a refusal reserves nothing. */
export async function reservePromoCode(
  transaction: TransactionSql,
  code: string,
  accountId: string,
  orderId: string,
): Promise<PromoRefusal | null> {
  const [promo] = await transaction<
    { maximum_redemptions: number | null; maximum_redemptions_per_account: number | null }[]
  >`select maximum_redemptions, maximum_redemptions_per_account from promo_codes where code = ${code} for update`;
  if (promo === undefined) return { code: 'promo_code_not_found', message: `No promo code ${code}.` };
  const [counts] = await transaction<{ total: number; for_account: number }[]>`
    select count(*)::int as total, (count(*) filter (where account_id = ${accountId}))::int as for_account
    from promo_reservations where code = ${code} and status <> 'released'`;
  if (promo.maximum_redemptions !== null && counts!.total >= promo.maximum_redemptions) {
    return { code: 'promo_code_exhausted', message: `Promo code ${code} has been used up.` };
  }
  if (promo.maximum_redemptions_per_account !== null && counts!.for_account >= promo.maximum_redemptions_per_account) {
    return { code: 'promo_code_limit_reached', message: `This account has already used promo code ${code}.` };
  }
  await transaction`
    insert into promo_reservations (order_id, code, account_id, status)
    values (${orderId}, ${code}, ${accountId}, 'reserved')`;
  return null;
}
