// A delivery (one event for one endpoint) with its event and its attempts, as the admin list and the
// dispatcher read it from webhook_deliveries, webhook_events and webhook_delivery_attempts.
import type { WebhookDeliveryStatus } from '../../domain/webhooks.ts';

export interface WebhookAttempt {
  number: number;
  attemptedAt: Date;
  statusCode: number | null;
  latency_ms: number;
  error: string | null;
}

export interface WebhookEventRecord {
  id: string;
  type: string;
  accountId: string | null;
  /** The reported row as the trigger stored it: numbers as strings, times as ISO strings. */
  object: Record<string, unknown>;
  createdAt: Date;
}

export interface WebhookDelivery {
  id: string;
  position: bigint;
  endpointId: string;
  status: WebhookDeliveryStatus;
  attemptCount: number;
  nextAttemptAt: Date;
  retryUntil: Date;
  deliveredAt: Date | null;
  failureReason: string | null;
  event: WebhookEventRecord;
}

export interface WebhookDeliveryRow {
  id: string;
  sequence: bigint;
  endpoint_id: string;
  status: WebhookDeliveryStatus;
  attempt_count: number;
  next_attempt_at: Date;
  retry_until: Date;
  delivered_at: Date | null;
  failure_reason: string | null;
  event_id: string;
  event_type: string;
  event_account_id: string | null;
  event_object: Record<string, unknown>;
  event_created_at: Date;
}

export function deliveryFromRow(row: WebhookDeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    position: row.sequence,
    endpointId: row.endpoint_id,
    status: row.status,
    attemptCount: row.attempt_count,
    nextAttemptAt: row.next_attempt_at,
    retryUntil: row.retry_until,
    deliveredAt: row.delivered_at,
    failureReason: row.failure_reason,
    event: { id: row.event_id, type: row.event_type, accountId: row.event_account_id, object: row.event_object, createdAt: row.event_created_at },
  };
}
