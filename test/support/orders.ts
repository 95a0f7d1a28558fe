// Order fixtures: database steps of an order's workflow done by a test directly, as the workflow's
// activities would do them, to set up what a crash between steps leaves behind.
import type { Sql } from '../../db/client.ts';
import { creditOrder, type CreditOrderResult } from '../../db/orders/credit-order.ts';
import { insertOrder } from '../../db/orders/insert-order.ts';
import { newOrderRow } from '../../activities/orders.ts';
import { termsInMicros, type OrderSnapshot, type StripeCheckoutOrderInput } from '../../domain/orders.ts';
import { succeededOrder } from '../../workflows/order-machine.ts';

/** Inserts a Stripe order's row as its workflow's first activity does. */
export async function insertOrderDirectly(sql: Sql, input: StripeCheckoutOrderInput): Promise<void> {
  await insertOrder(sql, { ...newOrderRow(input), successUrl: input.successUrl, cancelUrl: input.cancelUrl });
}

/** Credits the order's locked quote and saves it succeeded, as the credit activity does. */
export async function creditOrderDirectly(sql: Sql, order: OrderSnapshot): Promise<CreditOrderResult> {
  const terms = termsInMicros(order.terms);
  return creditOrder(sql, { succeeded: succeededOrder(order), payAmountMicros: terms.payAmountMicros, creditMicros: terms.creditMicros, metadata: null });
}
