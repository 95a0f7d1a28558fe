// Every webhook endpoint, oldest first (there are few: at most maximumWebhookEndpoints).
import type { Queryable } from '../client.ts';
import { endpointFromRow, type WebhookEndpoint, type WebhookEndpointRow } from './webhook-endpoint.ts';

/** More endpoints than this is a misuse; the create route refuses the next one. */
export const maximumWebhookEndpoints = 100;

export async function listWebhookEndpoints(sql: Queryable): Promise<WebhookEndpoint[]> {
  const rows = await sql<WebhookEndpointRow[]>`
    select * from webhook_endpoints order by sequence limit ${maximumWebhookEndpoints}`;
  return rows.map(endpointFromRow);
}
