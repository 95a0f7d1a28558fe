// Order actions: the steps a person took on an order (ops review, confirmation, rejection, the resolution
// of a held payment; a customer's cancel), recorded once per order and kind with who took them.
// Imports nothing with side effects, so workflow code can import it.

export const orderActions = ['start_review', 'confirm_transfer', 'reject_transfer', 'cancel', 'resolve_review'] as const;
export type OrderAction = (typeof orderActions)[number];

/** Who a customer's own cancellation is recorded as. */
export const customerActor = 'customer';

export interface OrderActionRecord {
  orderId: string;
  action: OrderAction;
  actor: string;
  reason: string | null;
  /** The action's details as strings (money as six-decimal strings). */
  payload: Record<string, string | null>;
  /** ISO timestamp: when the order's workflow accepted the action. */
  occurredAt: string;
}
