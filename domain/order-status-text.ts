// How an order's status reads in a sentence for people (error messages, pages, emails). The machine
// fields keep the status names; only the prose uses these, so "succeeded" never reads "is succeeded".
import type { OrderStatus } from './orders.ts';

const statusPhrases: Record<OrderStatus, string> = {
  pending: 'is still waiting for payment',
  processing: 'is being processed',
  succeeded: 'has already succeeded',
  failed: 'has failed',
  expired: 'has expired',
  cancelled: 'was cancelled',
};

/** "has already succeeded", "was cancelled": what follows "The order" in a sentence. */
export function orderStatusPhrase(status: OrderStatus): string {
  return statusPhrases[status];
}

/** "The order has already succeeded.": a whole sentence, for refusals. */
export function orderStatusSentence(status: OrderStatus): string {
  return `The order ${statusPhrases[status]}.`;
}
