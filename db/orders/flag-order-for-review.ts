// Marks an order for a person to look at: a payment that cannot be credited automatically.
import type { Sql } from '../client.ts';

export async function flagOrderForReview(sql: Sql, orderId: string, reason: string): Promise<void> {
  await sql`
    update orders set needs_review = true,
      review_reason = coalesce(review_reason || '; ', '') || ${reason}, updated_at = now()
    where id = ${orderId}`;
}
