// GET /admin/webhook-events: deliveries newest first, filtered by endpoint, status and event type, each
// with its event and its attempts.
import type { Queryable } from '../client.ts';
import type { WebhookDeliveryStatus } from '../../domain/webhooks.ts';
import { deliveryFromRow, type WebhookAttempt, type WebhookDelivery, type WebhookDeliveryRow } from './webhook-delivery.ts';

export interface ListWebhookDeliveriesInput {
  endpointId: string | null;
  status: WebhookDeliveryStatus | null;
  type: string | null;
  beforePosition: bigint | null;
  limit: number;
}

export interface ListedWebhookDelivery extends WebhookDelivery {
  attempts: WebhookAttempt[];
}

interface ListedRow extends WebhookDeliveryRow {
  attempts: { number: number; attempted_at: string; status_code: number | null; latency_ms: number; error: string | null }[];
}

export async function listWebhookDeliveries(sql: Queryable, input: ListWebhookDeliveriesInput): Promise<ListedWebhookDelivery[]> {
  const rows = await sql<ListedRow[]>`
    select d.*, e.type as event_type, e.account_id as event_account_id, e.object as event_object, e.created_at as event_created_at,
      coalesce((select json_agg(a order by a.number) from webhook_delivery_attempts a where a.delivery_id = d.id), '[]') as attempts
    from webhook_deliveries d join webhook_events e on e.id = d.event_id
    where (${input.endpointId}::text is null or d.endpoint_id = ${input.endpointId})
      and (${input.status}::text is null or d.status = ${input.status})
      and (${input.type}::text is null or e.type = ${input.type})
      and (${input.beforePosition}::bigint is null or d.sequence < ${input.beforePosition})
    order by d.sequence desc
    limit ${input.limit}`;
  return rows.map((row) => ({
    ...deliveryFromRow(row),
    attempts: row.attempts.map((attempt) => ({
      number: attempt.number,
      attemptedAt: new Date(attempt.attempted_at),
      statusCode: attempt.status_code,
      latency_ms: attempt.latency_ms,
      error: attempt.error,
    })),
  }));
}
