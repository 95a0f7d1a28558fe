// Registers a webhook endpoint. It receives the events written from now on (earlier ones have their
// deliveries already decided).
import type { Queryable } from '../client.ts';
import { endpointFromRow, type WebhookEndpoint, type WebhookEndpointRow } from './webhook-endpoint.ts';

export interface CreateWebhookEndpointInput {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  secret: string;
}

export async function createWebhookEndpoint(sql: Queryable, input: CreateWebhookEndpointInput): Promise<WebhookEndpoint> {
  const [row] = await sql<WebhookEndpointRow[]>`
    insert into webhook_endpoints (id, url, events, description, secret)
    values (${input.id}, ${input.url}, ${input.events}, ${input.description}, ${input.secret})
    returning *`;
  return endpointFromRow(row!);
}
