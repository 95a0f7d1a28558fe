// What the Temporal UI shows of an order workflow (its user metadata): a one-line static summary given
// at start ("Top-up 100.00 USD, acct_…, stripe"), static details, and the current details the workflow
// keeps up to date as its state changes. Derived from the order alone; text for people, never parsed.
import { formatMicrosForPeople, microsFromDecimal } from './money.ts';
import type { OrderRequest, OrderSnapshot, OrderTerms } from './orders.ts';

/** An amount for people; one not in the six-decimal form of payloads is shown as it is, never thrown on. */
function money(decimal: string, terms: OrderTerms): string {
  const shown = /^-?\d+\.\d{6}$/.test(decimal) ? formatMicrosForPeople(microsFromDecimal(decimal), terms.currency) : decimal;
  return `${shown} ${terms.currency}`;
}

/** What changed between two states of an order, for the current details' "last event", or null when nothing shown did. */
export function orderChange(before: OrderSnapshot, after: OrderSnapshot, atIso: string): string | null {
  if (before.status !== after.status) return `${before.status} → ${after.status} at ${atIso}`;
  if (before.needsReview !== after.needsReview) return `${after.needsReview ? 'held for review' : 'review resolved'} at ${atIso}`;
  if (before.paidAt === null && after.paidAt !== null) return `payment received at ${atIso}`;
  if (before.receiptUrl === null && after.receiptUrl !== null) return `receipt saved at ${atIso}`;
  if ((before.invoiceNumber ?? null) === null && (after.invoiceNumber ?? null) !== null) return `invoice ${after.invoiceNumber} issued at ${atIso}`;
  return null;
}

/** The workflow's static summary: what was ordered, by whom, paid how. */
export function orderSummary(request: Pick<OrderRequest, 'accountId' | 'terms'>): string {
  return `Top-up ${money(request.terms.amount, request.terms)}, ${request.accountId}, ${request.terms.paymentMethod}`;
}

/** The workflow's static details (Markdown): the terms locked at creation. */
export function orderStaticDetails(request: Pick<OrderRequest, 'orderId' | 'terms' | 'createdAt'>): string {
  const { terms } = request;
  return [
    `**Order** ${request.orderId}, created ${request.createdAt}`,
    `**Pays** ${money(terms.payAmount, terms)} (amount ${money(terms.amount, terms)}, discount ${money(terms.discount, terms)})`,
    `**Credit** ${money(terms.credit, terms)} (bonus ${money(terms.bonus, terms)})`,
    `**Package** ${terms.packageId ?? 'none'} · **Promo code** ${terms.promoCode ?? 'none'}`,
  ].join('\n\n');
}

/** The workflow's current details (Markdown): its status, its money so far, and its last change. */
export function orderCurrentDetails(order: OrderSnapshot, lastChange: string): string {
  const lines = [`**Status** ${order.status}${order.needsReview ? ' · **needs review**' : ''}`];
  lines.push(`**Pays** ${money(order.terms.payAmount, order.terms)} · **credit** ${money(order.terms.credit, order.terms)}`);
  if (order.paidAt !== null) lines.push(`**Paid** ${order.paidAt}`);
  if (order.creditedAt !== null) lines.push(`**Credited** ${order.creditedAt}`);
  if (order.reviewReason !== null) lines.push(`**Review** ${order.reviewReason}`);
  if (order.failureReason !== null) lines.push(`**Failure** ${order.failureReason}`);
  lines.push(`**Last event** ${lastChange}`);
  return lines.join('\n\n');
}
