// Deletes an endpoint with its deliveries and their attempts (the events stay: other endpoints and the
// record keep them). Returns whether there was one.
import type { Queryable } from '../client.ts';

export async function deleteWebhookEndpoint(sql: Queryable, id: string): Promise<boolean> {
  const rows = await sql`delete from webhook_endpoints where id = ${id} returning id`;
  return rows.length > 0;
}
