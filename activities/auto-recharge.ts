// Activities of the account's auto-recharge workflow (workflows/auto-recharge.ts): load a round's
// context, record an attempt with its recharge order, charge the saved card off-session, credit once,
// record failures and skips, and email the customer. Each is safe to retry: ids come from the attempt.
import { PermanentProviderError } from './payments/provider.ts';
import type { OffSessionChargeResult, SavedCardProvider } from './payments/saved-cards.ts';
import { beginAutoRechargeAttempt, getAutoRechargeAttempt, recordAttemptPaymentIntent } from '../db/auto-recharge/begin-auto-recharge-attempt.ts';
import { loadAutoRechargeContext, type LoadedAutoRechargeContext } from '../db/auto-recharge/load-auto-recharge-context.ts';
import { recordAutoRechargeFailure, recordAutoRechargeStatus } from '../db/auto-recharge/record-auto-recharge-outcome.ts';
import { creditOrder } from '../db/orders/credit-order.ts';
import { getOrderRow } from '../db/orders/get-order.ts';
import { snapshotFromRow } from '../db/orders/order-row.ts';
import { failure } from '../domain/failures.ts';
import { formatMicros, microsToMinorUnits } from '../domain/money.ts';
import type { OrderSnapshot } from '../domain/orders.ts';
import { computeQuote, type Pricing } from '../domain/pricing.ts';
import { autoRechargeAttemptIdFor, orderIdFor } from '../ids/ids.ts';
import type { ActivityDependencies } from './index.ts';

/** A recharge order's row needs an expiry; its attempt is settled or failed long before. */
const rechargeOrderExpiryMilliseconds = 7 * 86_400_000;

export interface BeginRechargeInput {
  accountId: string;
  attemptKey: string;
  amountMicros: string;
  settingsVersion: number;
}

export interface RecordFailureInput {
  accountId: string;
  attemptId: string;
  settingsVersion: number;
  outcome: 'declined' | 'authentication_required' | 'failed';
  declineCode: string | null;
  consecutiveFailures: number;
  stop: { state: 'paused' | 'disabled'; reason: string } | null;
  reason: string;
}

/** What the recharge activities need besides the order activities' dependencies. */
export interface AutoRechargeDependencies {
  savedCards?: SavedCardProvider;
  pricing?: Pricing;
}

function required<Value>(value: Value | undefined, name: string): Value {
  if (value === undefined) throw failure('invalid_data', `the worker was started without ${name}, which auto-recharge needs`);
  return value;
}

export function createAutoRechargeActivities(dependencies: ActivityDependencies) {
  const { sql, logger } = dependencies;

  return {
    /** The settings, the balance and the rails' counters a round decides on. */
    async loadAutoRechargeContext(input: { accountId: string }): Promise<LoadedAutoRechargeContext> {
      return loadAutoRechargeContext(sql, input.accountId);
    },

    /** Records the attempt and its order with the usual quote (bonus tiers of the card method); a refusal records nothing. */
    async beginAutoRecharge(input: BeginRechargeInput): Promise<{ attemptId: string; orderId: string; refusal: string | null }> {
      const pricing = required(dependencies.pricing, 'the pricing');
      const attemptId = autoRechargeAttemptIdFor(input.accountId, input.attemptKey);
      const orderId = orderIdFor(input.accountId, `auto-recharge:${attemptId}`);
      const context = await loadAutoRechargeContext(sql, input.accountId);
      const currency = context.settings?.currency ?? 'USD';
      const quoted = computeQuote(pricing, { currency, paymentMethod: 'stripe', amountMicros: BigInt(input.amountMicros), packageId: null, promoCode: null }, new Date());
      if (!quoted.ok) return { attemptId, orderId, refusal: quoted.refusal.message };
      const quote = quoted.quote;
      const terms = { currency, amountMicros: quote.amountMicros, discountMicros: quote.discountMicros, payAmountMicros: quote.payAmountMicros, bonusMicros: quote.bonusMicros, creditMicros: quote.creditMicros };
      const begun = await beginAutoRechargeAttempt(sql, { attemptId, orderId, accountId: input.accountId, settingsVersion: input.settingsVersion, terms, expiresAt: new Date(Date.now() + rechargeOrderExpiryMilliseconds) });
      if (!begun.ok) return { attemptId, orderId, refusal: begun.reason };
      logger.info({ accountId: input.accountId, attemptId, orderId, amount: formatMicros(quote.payAmountMicros) }, 'auto-recharge attempt recorded');
      return { attemptId, orderId, refusal: null };
    },

    /** Charges the saved card off-session; the idempotency key is the attempt's, so a retry is the same charge. */
    async chargeAutoRecharge(input: { attemptId: string }): Promise<OffSessionChargeResult> {
      const savedCards = required(dependencies.savedCards, 'a saved-card provider');
      const attempt = await getAutoRechargeAttempt(sql, input.attemptId);
      if (attempt === null) throw failure('invalid_data', `no auto-recharge attempt ${input.attemptId}`);
      try {
        const result = await savedCards.chargeOffSession({
          providerCustomerId: attempt.provider_customer_id,
          paymentMethodId: attempt.payment_method_id,
          currency: attempt.currency,
          amountMinorUnits: microsToMinorUnits(attempt.amount_micros, attempt.currency),
          idempotencyKey: `auto-recharge-${attempt.id}`,
          metadata: { account_id: attempt.account_id, order_id: attempt.order_id, auto_recharge_attempt_id: attempt.id },
        });
        if (result.paymentIntentId !== null) await recordAttemptPaymentIntent(sql, attempt.id, result.paymentIntentId);
        logger.info({ attemptId: attempt.id, orderId: attempt.order_id, outcome: result.outcome }, 'auto-recharge charge answered');
        return result;
      } catch (error) {
        if (error instanceof PermanentProviderError) throw failure('provider_rejected', error.message, error);
        throw error;
      }
    },

    /** The charge's outcome at the provider, when neither the answer nor an event settled it. */
    async retrieveAutoRechargeCharge(input: { paymentIntentId: string }): Promise<OffSessionChargeResult> {
      try {
        return await required(dependencies.savedCards, 'a saved-card provider').retrieveCharge(input.paymentIntentId);
      } catch (error) {
        if (error instanceof PermanentProviderError) throw failure('provider_rejected', error.message, error);
        throw error;
      }
    },

    /** Credits the recharge order exactly once (its transfer is keyed by the order) and records the success. */
    async creditAutoRecharge(input: { attemptId: string; paymentIntentId: string }): Promise<{ order: OrderSnapshot; balanceAfter: string }> {
      const attempt = await getAutoRechargeAttempt(sql, input.attemptId);
      const row = attempt === null ? null : await getOrderRow(sql, attempt.order_id, null);
      if (attempt === null || row === null) throw failure('invalid_data', `no auto-recharge attempt ${input.attemptId} with its order`);
      const now = new Date().toISOString();
      const snapshot = snapshotFromRow(row);
      const succeeded: OrderSnapshot = { ...snapshot, status: 'succeeded', paidAt: snapshot.paidAt ?? now, providerPaymentId: input.paymentIntentId };
      const credit = await creditOrder(sql, { succeeded, payAmountMicros: row.pay_amount_micros, creditMicros: row.credit_micros, metadata: { auto_recharge_attempt_id: attempt.id } });
      await sql.begin(async (transaction) => {
        await transaction`update auto_recharge_attempts set status = 'succeeded', finished_at = coalesce(finished_at, now()) where id = ${attempt.id}`;
        await recordAutoRechargeStatus(transaction, {
          accountId: attempt.account_id, settingsVersion: attempt.settings_version, consecutiveFailures: 0, stop: null,
          outcome: 'succeeded', amountMicros: attempt.amount_micros, declineCode: null, reason: null,
        });
      });
      logger.info({ attemptId: attempt.id, orderId: attempt.order_id }, 'auto-recharge credited');
      return { order: { ...succeeded, creditedAt: credit.creditedAt.toISOString() }, balanceAfter: formatMicros(credit.balanceAfterMicros) };
    },

    /** Records a failed attempt, its order failed, and the account's status (with the stop, if any). */
    async recordAutoRechargeFailure(input: RecordFailureInput): Promise<void> {
      const attempt = await getAutoRechargeAttempt(sql, input.attemptId);
      await recordAutoRechargeFailure(sql, {
        attemptId: input.attemptId,
        outcome: input.outcome,
        declineCode: input.declineCode,
        reason: input.reason,
        status: {
          accountId: input.accountId, settingsVersion: input.settingsVersion, consecutiveFailures: input.consecutiveFailures, stop: input.stop,
          outcome: input.outcome, amountMicros: attempt?.amount_micros ?? null, declineCode: input.declineCode, reason: input.reason,
        },
      });
      logger.warn({ accountId: input.accountId, attemptId: input.attemptId, declineCode: input.declineCode, stop: input.stop?.state ?? null }, 'auto-recharge attempt failed');
    },

    /** Records a round the rails stopped before any charge (the customer sees it as last_attempt). */
    async recordAutoRechargeSkip(input: { accountId: string; settingsVersion: number; consecutiveFailures: number; reason: string }): Promise<void> {
      await recordAutoRechargeStatus(sql, {
        accountId: input.accountId, settingsVersion: input.settingsVersion, consecutiveFailures: input.consecutiveFailures, stop: null,
        outcome: 'skipped', amountMicros: null, declineCode: null, reason: input.reason,
      });
    },
  };
}
