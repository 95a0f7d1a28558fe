// The HTML of the sandbox checkout page and of the checkout result page: what the customer is about to
// pay and receive, and afterwards what happened. Every sentence follows from the order's row (its status,
// its quote, the credit the ledger posted), so a page never says something the order contradicts.
import { createHash } from 'node:crypto';
import type { OrderRow } from '../../db/orders/order-row.ts';
import { microsFromDecimal, moneyForPeople } from '../../domain/money.ts';
import { orderStatusPhrase } from '../../domain/order-status-text.ts';
import { snapshotFromRow } from '../../db/orders/order-row.ts';

/** Turns each <time data-local> into the browser's local date and time; the UTC text stays without it. */
const localTimeScript =
  "for(const t of document.querySelectorAll('time[data-local]')){const d=new Date(t.getAttribute('datetime'));" +
  "if(!isNaN(d))t.textContent=d.toLocaleString(undefined,{dateStyle:'medium',timeStyle:'short'});}";

/** The script's CSP hash: the pages allow this one inline script and nothing else. */
export const localTimeScriptHash = `'sha256-${createHash('sha256').update(localTimeScript).digest('base64')}'`;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** "1 Dec 2026, 16:30 UTC", shown in the browser's own time zone once the script has run. */
export function readableTime(date: Date): string {
  const utc = `${date.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' })} UTC`;
  return `<time datetime="${date.toISOString()}" data-local>${escapeHtml(utc)}</time>`;
}

/** The script tag the pages end with. */
export function localTimeScriptTag(): string {
  return `<script>${localTimeScript}</script>`;
}

function summaryRow(label: string, value: string, strong = false): string {
  const cell = strong ? `<strong>${escapeHtml(value)}</strong>` : escapeHtml(value);
  return `<tr><th scope="row">${escapeHtml(label)}</th><td>${cell}</td></tr>`;
}

/** What the order costs and brings: amount, discount (with its promo code), pay amount, bonus, credit. */
export function orderSummaryTable(order: OrderRow): string {
  const snapshot = snapshotFromRow(order);
  const money = (amount: string) => moneyForPeople(microsFromDecimal(amount), order.currency);
  const corrected = snapshot.creditCorrection ?? null;
  const rows = [
    summaryRow('Top-up amount', money(snapshot.terms.amount)),
    ...(order.discount_micros === 0n ? [] : [summaryRow(`Discount${order.promo_code === null ? '' : ` (promo code ${order.promo_code})`}`, `-${money(snapshot.terms.discount)}`)]),
    summaryRow('You pay', money(snapshot.terms.payAmount), true),
    ...(order.bonus_micros === 0n ? [] : [summaryRow('Bonus credit', money(snapshot.terms.bonus))]),
    summaryRow(corrected === null ? 'Credit to your balance' : 'Credit added (corrected)', money(corrected?.correctedCredit ?? snapshot.terms.credit), true),
  ];
  return `<table class="summary">${rows.join('')}</table>`;
}

export interface ResultView {
  title: string;
  body: string;
  /** While the payment is being confirmed, the page reloads itself to show the outcome. */
  refreshSeconds: number | null;
}

/** The result page of an order: what was paid and credited, or why not, and where to go next. */
export function resultView(order: OrderRow | null, returnedAs: 'success' | 'cancel', balanceAfterMicros: bigint | null): ResultView {
  if (order === null) {
    return { title: 'Top-up', body: '<h1>Order not found</h1><p>Check the link, or look the order up in the app you came from.</p>', refreshSeconds: null };
  }
  const summary = orderSummaryTable(order);
  const orderLine = `<p>Order <code>${escapeHtml(order.id)}</code></p>`;
  const backToCheckout =
    order.status === 'pending' && order.checkout_url !== null ? `<p><a href="${escapeHtml(order.checkout_url)}">Back to the payment page</a></p>` : '';
  switch (order.status) {
    case 'succeeded': {
      const balance = balanceAfterMicros === null ? '' : `<p class="amount">New balance: ${escapeHtml(moneyForPeople(balanceAfterMicros, order.currency))}</p>`;
      const receipt = order.receipt_url === null ? '' : `<p><a href="${escapeHtml(order.receipt_url)}">View the receipt</a></p>`;
      return { title: 'Top-up credited', body: `<h1>Payment received and credited</h1>${orderLine}${summary}${balance}${receipt}${closeHint}`, refreshSeconds: null };
    }
    case 'pending':
      if (returnedAs === 'success') {
        return { title: 'Confirming payment', body: `<h1>Confirming your payment…</h1>${orderLine}${summary}<p role="status">Status: waiting for the payment to be confirmed. This page updates itself.</p>`, refreshSeconds: 2 };
      }
      return {
        title: 'Payment not completed',
        body: `<h1>Payment not completed</h1>${orderLine}${summary}<p role="status">The order is still open until ${readableTime(order.expires_at)}; nothing was charged. You can go back and pay, or cancel the order in the app.</p>${backToCheckout}`,
        refreshSeconds: null,
      };
    case 'processing':
      return { title: 'Confirming payment', body: `<h1>Confirming your payment…</h1>${orderLine}${summary}<p role="status">Status: ${escapeHtml(order.needs_review ? 'being checked by our team' : 'being processed')}. This page updates itself.</p>`, refreshSeconds: order.needs_review ? null : 2 };
    default: {
      const charged = order.status === 'failed' ? '' : ' Nothing was charged for it.';
      return {
        title: 'Top-up not completed',
        body: `<h1>No credit was added</h1>${orderLine}<p role="status">The order ${escapeHtml(orderStatusPhrase(order.status))}${order.failure_reason === null ? '' : `: ${escapeHtml(order.failure_reason)}`}.${charged} Start a new top-up in the app you came from.</p>${closeHint}`,
        refreshSeconds: null,
      };
    }
  }
}

const closeHint = '<p>You can close this page and return to the app you came from.</p>';
