// The sandbox's saved cards: customers and setup sessions kept in Postgres, a "Save card" page
// (api/routes/sandbox-setup.ts) that sends signed Stripe-format events, and off-session charges that
// answer as the chosen test card does (sandbox-cards.ts). No money moves.
import type { Sql } from '../../db/client.ts';
import { createSandboxSetupSession, getSandboxSetupSession } from '../../db/sandbox/sandbox-setup-sessions.ts';
import { randomToken } from '../../ids/ids.ts';
import { sandboxCardOf, sandboxCardOfPaymentMethod, sandboxPaymentMethodId, type SandboxCardKey } from './sandbox-cards.ts';
import type { CreateSetupSessionInput, OffSessionChargeInput, OffSessionChargeResult, SavedCard, SavedCardProvider, SetupSession } from './saved-cards.ts';

/** Sandbox test cards expire at the end of this year, far enough ahead for any test. */
const sandboxCardExpiryYear = 2034;

export function sandboxSetupUrl(publicBaseUrl: string, sessionId: string): string {
  return `${publicBaseUrl}/sandbox/setup/${sessionId}`;
}

/** The card a completed sandbox session saved: its id is derived from the session, so it is the same every time. */
export function sandboxCardOfSession(sessionId: string, cardKey: SandboxCardKey): SavedCard {
  const card = sandboxCardOf(cardKey)!;
  return {
    paymentMethodId: sandboxPaymentMethodId(card.key, sessionId.slice(-24)),
    brand: card.brand,
    last4: card.last4,
    expMonth: 12,
    expYear: sandboxCardExpiryYear,
  };
}

/** The sandbox's payment intent id of a charge: named by its idempotency key, so a retry names the same one. */
function sandboxPaymentIntentId(idempotencyKey: string): string {
  return `pi_sandbox_${idempotencyKey.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/** `site.publicBaseUrl` is read on each call: a test's server learns its port after the app is built. */
export function createSandboxSavedCards(sql: Sql, site: { readonly publicBaseUrl: string }): SavedCardProvider {
  return {
    name: 'sandbox',

    async createCustomer(): Promise<string> {
      return `cus_sandbox_${randomToken()}`;
    },

    async createSetupSession(input: CreateSetupSessionInput): Promise<SetupSession> {
      const session = await createSandboxSetupSession(sql, {
        id: `cs_sandbox_setup_${randomToken()}`,
        accountId: input.accountId,
        providerCustomerId: input.providerCustomerId,
        idempotencyKey: input.idempotencyKey,
        successUrl: input.successUrl,
        cancelUrl: input.cancelUrl,
        expiresAt: input.expiresAt,
      });
      return { sessionId: session.id, url: sandboxSetupUrl(site.publicBaseUrl, session.id) };
    },

    async cardOfSetupSession(sessionId: string): Promise<SavedCard | null> {
      const session = await getSandboxSetupSession(sql, sessionId);
      if (session === null || session.status !== 'complete' || session.card === null || sandboxCardOf(session.card) === null) return null;
      return sandboxCardOfSession(session.id, session.card as SandboxCardKey);
    },

    async cardOfPayment(providerPaymentId: string): Promise<SavedCard | null> {
      // A sandbox checkout is paid with the card that succeeds.
      const token = providerPaymentId.replace(/^pi_sandbox_/, '');
      return /^[0-9a-z]{24}$/.test(token) ? sandboxCardOfSession(token, 'succeeds') : null;
    },

    async detachPaymentMethod(): Promise<void> {
      // Nothing is kept at the sandbox: the stored method's detached_at is the detachment.
    },

    async chargeOffSession(input: OffSessionChargeInput): Promise<OffSessionChargeResult> {
      const paymentIntentId = sandboxPaymentIntentId(input.idempotencyKey);
      const card = sandboxCardOfPaymentMethod(input.paymentMethodId);
      if (card === null) return { outcome: 'declined', paymentIntentId, declineCode: 'card_not_supported' };
      if (card.charge.outcome === 'declined') return { outcome: 'declined', paymentIntentId, declineCode: card.charge.declineCode };
      if (card.charge.outcome === 'authentication_required') return { outcome: 'authentication_required', paymentIntentId };
      return { outcome: 'succeeded', paymentIntentId };
    },

    async retrieveCharge(paymentIntentId: string): Promise<OffSessionChargeResult> {
      // Sandbox charges are final when made; a retrieval only follows a charge that succeeded.
      return { outcome: 'succeeded', paymentIntentId };
    },
  };
}
