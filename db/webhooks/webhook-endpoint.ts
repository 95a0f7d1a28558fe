// The webhook_endpoints row (migration 0014) as the rest of the code sees it. Written only by the admin
// routes (create, update, delete) and by the dispatcher (failing_since, disabling after three days).
export interface WebhookEndpoint {
  id: string;
  position: bigint;
  url: string;
  events: string[];
  description: string | null;
  /** The signing secret; presented only in the creation's answer. */
  secret: string;
  enabled: boolean;
  failingSince: Date | null;
  disabledReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookEndpointRow {
  id: string;
  sequence: bigint;
  url: string;
  events: string[];
  description: string | null;
  secret: string;
  enabled: boolean;
  failing_since: Date | null;
  disabled_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

export function endpointFromRow(row: WebhookEndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    position: row.sequence,
    url: row.url,
    events: row.events,
    description: row.description,
    secret: row.secret,
    enabled: row.enabled,
    failingSince: row.failing_since,
    disabledReason: row.disabled_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
