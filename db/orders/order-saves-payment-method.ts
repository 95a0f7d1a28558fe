// Whether an order asked to save the card it is paid with (save_payment_method on POST /v1/topups).
// Written once with the order's row; read by the credit activity.
import type { Sql } from '../client.ts';

export async function orderSavesPaymentMethod(sql: Sql, orderId: string): Promise<boolean> {
  const [row] = await sql<{ save_payment_method: boolean }[]>`select save_payment_method from orders where id = ${orderId}`;
  return row?.save_payment_method ?? false;
}
