// Changes an endpoint's url, events or enabled flag; only the fields given. Enabling an endpoint clears
// the reason it was disabled and its failing streak. Returns null when there is no such endpoint.
import type { Queryable } from '../client.ts';
import { endpointFromRow, type WebhookEndpoint, type WebhookEndpointRow } from './webhook-endpoint.ts';

export interface WebhookEndpointChanges {
  url?: string;
  events?: string[];
  enabled?: boolean;
  description?: string | null;
}

export async function updateWebhookEndpoint(sql: Queryable, id: string, changes: WebhookEndpointChanges): Promise<WebhookEndpoint | null> {
  const enabling = changes.enabled === true;
  const [row] = await sql<WebhookEndpointRow[]>`
    update webhook_endpoints set
      url = coalesce(${changes.url ?? null}, url),
      events = coalesce(${changes.events ?? null}::text[], events),
      description = ${changes.description === undefined ? sql`description` : changes.description},
      enabled = coalesce(${changes.enabled ?? null}::boolean, enabled),
      disabled_reason = case when ${enabling} then null else disabled_reason end,
      failing_since = case when ${enabling} then null else failing_since end,
      updated_at = now()
    where id = ${id}
    returning *`;
  return row === undefined ? null : endpointFromRow(row);
}
