// Whether a delivery (whd_…) or an event with deliveries (evt_…) exists under this id.
import type { Queryable } from '../client.ts';

export async function deliveryExists(sql: Queryable, id: string): Promise<boolean> {
  const rows = await sql`select 1 from webhook_deliveries where id = ${id} or event_id = ${id} limit 1`;
  return rows.length > 0;
}
