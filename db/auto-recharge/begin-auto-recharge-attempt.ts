// Records an attempt and its recharge order (payment_method auto_recharge, status processing), in one
// transaction, once per attempt id: a retried activity finds both. The card is the settings' own or
// the account's default, as it is now; none means no attempt.
import type { Sql } from '../client.ts';
import type { OrderTermsMicros } from '../../domain/orders.ts';

export interface BeginAttemptInput {
  attemptId: string;
  orderId: string;
  accountId: string;
  settingsVersion: number;
  terms: OrderTermsMicros;
  /** The order's row expects an expiry; a recharge is settled or failed long before it. */
  expiresAt: Date;
}

export type BeginAttemptResult = { ok: true } | { ok: false; reason: string };

export async function beginAutoRechargeAttempt(sql: Sql, input: BeginAttemptInput): Promise<BeginAttemptResult> {
  return sql.begin(async (transaction) => {
    const [existing] = await transaction`select 1 from auto_recharge_attempts where id = ${input.attemptId}`;
    if (existing !== undefined) return { ok: true as const };
    const [card] = await transaction<{ id: string; provider_customer_id: string }[]>`
      select m.id, c.provider_customer_id
      from auto_recharge_settings s
      join payment_methods m on m.account_id = s.account_id and m.detached_at is null
                            and (m.id = s.payment_method_id or (s.payment_method_id is null and m.is_default))
      join payment_customers c on c.account_id = s.account_id
      where s.account_id = ${input.accountId} and s.enabled and s.version = ${input.settingsVersion}`;
    if (card === undefined) return { ok: false as const, reason: 'No saved card can be charged under these settings (deleted, or the settings changed).' };
    const terms = input.terms;
    await transaction`
      insert into orders (id, account_id, idempotency_key, request_hash, status, payment_method, currency, package_id,
                          amount_micros, discount_micros, pay_amount_micros, bonus_micros, credit_micros, expires_at, created_at)
      values (${input.orderId}, ${input.accountId}, ${`auto-recharge:${input.attemptId}`}, ${'auto-recharge'}, 'processing', 'auto_recharge',
              ${terms.currency}, null, ${terms.amountMicros}, ${terms.discountMicros}, ${terms.payAmountMicros}, ${terms.bonusMicros},
              ${terms.creditMicros}, ${input.expiresAt}, now())`;
    await transaction`
      insert into auto_recharge_attempts (id, account_id, settings_version, amount_micros, currency, status, payment_method_id, provider_customer_id, order_id)
      values (${input.attemptId}, ${input.accountId}, ${input.settingsVersion}, ${terms.payAmountMicros}, ${terms.currency}, 'charging',
              ${card.id}, ${card.provider_customer_id}, ${input.orderId})`;
    return { ok: true as const };
  });
}

export interface AttemptRow {
  id: string;
  account_id: string;
  settings_version: number;
  amount_micros: bigint;
  currency: 'USD' | 'CNY';
  status: string;
  payment_method_id: string;
  provider_customer_id: string;
  provider_payment_id: string | null;
  order_id: string;
}

export async function getAutoRechargeAttempt(sql: Sql, attemptId: string): Promise<AttemptRow | null> {
  const [row] = await sql<AttemptRow[]>`select * from auto_recharge_attempts where id = ${attemptId}`;
  return row ?? null;
}

/** Keeps the provider's payment intent on the attempt, so a poll and the webhook find it. */
export async function recordAttemptPaymentIntent(sql: Sql, attemptId: string, paymentIntentId: string): Promise<void> {
  await sql`update auto_recharge_attempts set provider_payment_id = ${paymentIntentId} where id = ${attemptId} and provider_payment_id is null`;
}
