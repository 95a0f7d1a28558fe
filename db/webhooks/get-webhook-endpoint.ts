// One webhook endpoint by id, or null.
import type { Queryable } from '../client.ts';
import { endpointFromRow, type WebhookEndpoint, type WebhookEndpointRow } from './webhook-endpoint.ts';

export async function getWebhookEndpoint(sql: Queryable, id: string): Promise<WebhookEndpoint | null> {
  const [row] = await sql<WebhookEndpointRow[]>`select * from webhook_endpoints where id = ${id}`;
  return row === undefined ? null : endpointFromRow(row);
}
