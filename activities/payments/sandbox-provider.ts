// The sandbox provider: Stripe-shaped checkout sessions kept in Postgres, paid on a local page
// (api/routes/sandbox.ts) that sends signed, Stripe-format events to the webhook. No money moves.
import type { Sql } from '../../db/client.ts';
import { createSandboxSession, expireSandboxSession, getSandboxSession, listPaidSandboxSessions } from '../../db/sandbox/sandbox-sessions.ts';
import { randomToken } from '../../ids/ids.ts';
import {
  PermanentProviderError,
  type CheckoutSession,
  type CreateCheckoutSessionInput,
  type ExpireCheckoutResult,
  type ListedPayment,
  type PaymentLookup,
  type PaymentProvider,
  type ProviderPayment,
  type RefundPaymentInput,
  type RefundPaymentResult,
  type RetrievedPayment,
} from './provider.ts';

/** The sandbox's payment of a session is named after it: pi_sandbox_x pays cs_sandbox_x. */
const sandboxPaymentPrefix = 'pi_sandbox_';

export function sandboxCheckoutUrl(publicBaseUrl: string, sessionId: string): string {
  return `${publicBaseUrl}/sandbox/checkout/${sessionId}`;
}

/** The payment of a completed sandbox session, named after it as the payment page names it. */
function sandboxPaymentId(sessionId: string): string {
  return `${sandboxPaymentPrefix}${sessionId.slice('cs_sandbox_'.length)}`;
}

export function createSandboxProvider(sql: Sql, publicBaseUrl: string): PaymentProvider {
  return {
    name: 'sandbox',

    async createCheckoutSession(input: CreateCheckoutSessionInput): Promise<CheckoutSession> {
      const session = await createSandboxSession(sql, {
        id: `cs_sandbox_${randomToken()}`,
        orderId: input.orderId,
        amountTotalMinorUnits: input.payAmountMinorUnits,
        currency: input.currency.toLowerCase(),
        successUrl: input.successUrl,
        cancelUrl: input.cancelUrl,
        expiresAt: input.expiresAt,
      });
      return { sessionId: session.id, url: sandboxCheckoutUrl(publicBaseUrl, session.id) };
    },

    async receiptUrl(checkoutSessionId: string): Promise<string | null> {
      // The sandbox's checkout page shows a completed session's payment: it is the receipt.
      return sandboxCheckoutUrl(publicBaseUrl, checkoutSessionId);
    },

    async refundPayment(input: RefundPaymentInput): Promise<RefundPaymentResult> {
      // No money moved, so none moves back: the refund is named by its key, so a retry names the same one.
      return { refundId: `re_sandbox_${input.idempotencyKey.replace(/[^A-Za-z0-9]/g, '_')}`, status: 'succeeded' };
    },

    async retrieveRefund(refundId: string): Promise<RefundPaymentResult> {
      return { refundId, status: 'succeeded' };
    },

    async retrievePayment(paymentId: string): Promise<ProviderPayment> {
      const session = paymentId.startsWith(sandboxPaymentPrefix) ? await getSandboxSession(sql, `cs_sandbox_${paymentId.slice(sandboxPaymentPrefix.length)}`) : null;
      if (session === null) throw new PermanentProviderError(`the sandbox has no payment ${paymentId}`);
      return {
        paymentId,
        status: session.status === 'complete' ? session.payment_status : session.status,
        succeeded: session.status === 'complete' && session.payment_status === 'paid',
        amountMinorUnits: session.amount_total_minor_units,
        currency: session.currency,
        orderId: session.order_id,
      };
    },

    async retrieveCheckoutPayment(order: PaymentLookup): Promise<RetrievedPayment> {
      // The sandbox answers from its own records: the session its payment page completed (or not).
      const session = await getSandboxSession(sql, order.checkoutSessionId);
      if (session === null) return { status: 'unpaid', amountMinorUnits: null, currency: null, reference: null };
      const paid = session.status === 'complete' && session.payment_status === 'paid';
      return {
        status: paid ? 'paid' : session.status === 'expired' ? 'expired' : 'unpaid',
        amountMinorUnits: session.amount_total_minor_units,
        currency: session.currency,
        reference: session.status === 'complete' ? sandboxPaymentId(session.id) : null,
      };
    },

    async listSuccessfulPayments(range: { from: Date; to: Date }): Promise<ListedPayment[]> {
      const sessions = await listPaidSandboxSessions(sql, range);
      return sessions.map((session) => ({
        status: 'paid',
        amountMinorUnits: session.amount_total_minor_units,
        currency: session.currency,
        reference: sandboxPaymentId(session.id),
        checkoutSessionId: session.id,
        orderId: session.order_id,
      }));
    },

    async expireCheckoutSession(sessionId: string): Promise<ExpireCheckoutResult> {
      const session = await expireSandboxSession(sql, sessionId);
      if (session === null || session.status !== 'complete') return { outcome: 'expired' };
      return {
        outcome: 'completed',
        checkout: {
          paymentStatus: session.payment_status,
          amountTotalMinorUnits: session.amount_total_minor_units.toString(),
          currency: session.currency,
          providerPaymentId: sandboxPaymentId(session.id),
        },
      };
    },
  };
}
