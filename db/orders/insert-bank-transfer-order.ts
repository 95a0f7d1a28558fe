// Records a new bank transfer order with a unique transfer reference, and reserves its promo code, in one
// transaction, once per order id. A refused promo code leaves nothing behind.
import type { Sql, TransactionSql } from '../client.ts';
import type { PayeeAccount, Remitter } from '../../domain/bank-transfers.ts';
import type { PromoRefusal } from '../../domain/promo-codes.ts';
import { reservePromoCode, type NewOrder } from './insert-order.ts';

export interface NewBankTransferOrder extends NewOrder {
  payee: PayeeAccount;
  remitter: Remitter;
}

/** A collision of 40 random bits is rare; five in a row means the generator is broken. */
const maximumReferenceAttempts = 5;

export type InsertBankTransferOrderResult =
  | { ok: true; created: boolean; reference: string }
  | { ok: false; refusal: PromoRefusal };

/**
 * Inserts the order with a reference from `newReference`, drawing again when another order holds it.
 * When the order already exists (a retried activity) nothing changes and its reference is returned.
 */
export async function insertBankTransferOrder(
  sql: Sql,
  record: NewBankTransferOrder,
  newReference: () => string,
): Promise<InsertBankTransferOrderResult> {
  return sql
    .begin(async (transaction) => {
      for (let attempt = 1; attempt <= maximumReferenceAttempts; attempt += 1) {
        const reference = newReference();
        if (await insertRow(transaction, record, reference)) {
          if (record.promoCode !== null) {
            const refusal = await reservePromoCode(transaction, record.promoCode, record.accountId, record.orderId);
            // Throwing rolls the order back too: a refused order leaves no trace.
            if (refusal !== null) throw new PromoReservationRefused(refusal);
          }
          return { ok: true as const, created: true, reference };
        }
        const existing = await existingReference(transaction, record.orderId);
        if (existing !== null) return { ok: true as const, created: false, reference: existing };
      }
      throw new Error(`no free transfer reference after ${maximumReferenceAttempts} attempts for order ${record.orderId}`);
    })
    .catch((error: unknown) => {
      if (error instanceof PromoReservationRefused) return { ok: false as const, refusal: error.refusal };
      throw error;
    });
}

/** True when inserted; false when the order id or the reference is taken. */
async function insertRow(transaction: TransactionSql, record: NewBankTransferOrder, reference: string): Promise<boolean> {
  const terms = record.terms;
  const inserted = await transaction`
    insert into orders (id, account_id, idempotency_key, request_hash, status, payment_method, currency,
                        package_id, amount_micros, discount_micros, pay_amount_micros, bonus_micros,
                        credit_micros, promo_code, expires_at, created_at, transfer_reference,
                        payee_bank_name, payee_account_name, payee_account_number,
                        remitter_name, remitter_bank_name, remitter_remarks)
    values (${record.orderId}, ${record.accountId}, ${record.idempotencyKey}, ${record.requestHash}, 'pending',
            'bank_transfer', ${terms.currency}, ${record.packageId},
            ${terms.amountMicros}, ${terms.discountMicros}, ${terms.payAmountMicros}, ${terms.bonusMicros},
            ${terms.creditMicros}, ${record.promoCode}, ${record.expiresAt},
            ${record.createdAt}, ${reference}, ${record.payee.bankName}, ${record.payee.accountName},
            ${record.payee.accountNumber}, ${record.remitter.name}, ${record.remitter.bankName},
            ${record.remitter.remarks})
    on conflict do nothing
    returning id`;
  return inserted.length > 0;
}

async function existingReference(transaction: TransactionSql, orderId: string): Promise<string | null> {
  const [row] = await transaction<{ transfer_reference: string | null }[]>`
    select transfer_reference from orders where id = ${orderId}`;
  if (row === undefined) return null;
  if (row.transfer_reference === null) throw new Error(`order ${orderId} exists but is not a bank transfer order`);
  return row.transfer_reference;
}

class PromoReservationRefused extends Error {
  constructor(readonly refusal: PromoRefusal) {
    super(refusal.message);
  }
}
