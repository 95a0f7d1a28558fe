// The sandbox's test cards, as Stripe's test card numbers behave: what the "Save card" page offers and
// what an off-session charge of each card answers. No real card is ever involved.
export interface SandboxCard {
  /** The form value and the card's name in the sandbox's payment method ids. */
  key: SandboxCardKey;
  label: string;
  brand: string;
  last4: string;
  /** What an off-session charge answers. */
  charge: { outcome: 'succeeded' } | { outcome: 'declined'; declineCode: string } | { outcome: 'authentication_required' };
}

export type SandboxCardKey = 'succeeds' | 'insufficient_funds' | 'stolen_card' | 'authentication_required';

export const sandboxCards: readonly SandboxCard[] = [
  { key: 'succeeds', label: 'Visa 4242 — succeeds', brand: 'visa', last4: '4242', charge: { outcome: 'succeeded' } },
  { key: 'insufficient_funds', label: 'Visa 9995 — declines (insufficient_funds)', brand: 'visa', last4: '9995', charge: { outcome: 'declined', declineCode: 'insufficient_funds' } },
  { key: 'stolen_card', label: 'Visa 9979 — declines (stolen_card)', brand: 'visa', last4: '9979', charge: { outcome: 'declined', declineCode: 'stolen_card' } },
  { key: 'authentication_required', label: 'Visa 3184 — requires authentication', brand: 'visa', last4: '3184', charge: { outcome: 'authentication_required' } },
];

export function sandboxCardOf(key: string): SandboxCard | null {
  return sandboxCards.find((card) => card.key === key) ?? null;
}

/** The sandbox's payment method id names its card, so a charge knows how to answer without a lookup. */
export function sandboxPaymentMethodId(card: SandboxCardKey, token: string): string {
  return `pm_sandbox_${card}_${token}`;
}

export function sandboxCardOfPaymentMethod(paymentMethodId: string): SandboxCard | null {
  const match = /^pm_sandbox_([a-z_]+)_[0-9a-z]{24}$/.exec(paymentMethodId);
  return match === null ? null : sandboxCardOf(match[1]!);
}
