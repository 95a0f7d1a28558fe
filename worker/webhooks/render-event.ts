// An event's JSON as endpoints receive it: {"id", "type", "created", "account_id", "data"}. `data` is the
// reported object as the API shows it (an order as GET /v1/topups/{id} does, an invoice as
// GET /v1/invoices, a refund as GET /v1/refunds/{id}), rendered from the row the trigger stored in the
// state change's transaction; other objects show their columns, money as decimal strings without the
// _micros suffix. The same event renders the same body on every attempt.
import { presentInvoice, presentOrder, presentRefund } from '../../api/presenters.ts';
import type { WebhookEventRecord } from '../../db/webhooks/webhook-delivery.ts';
import type { InvoiceRow } from '../../db/invoices/invoice-row.ts';
import { snapshotFromRow, type OrderRow } from '../../db/orders/order-row.ts';
import type { RefundRow } from '../../db/refunds/refund-row.ts';
import { formatMicros } from '../../domain/money.ts';

export interface RenderedEvent {
  id: string;
  type: string;
  created: number;
  account_id: string | null;
  data: Record<string, unknown>;
}

/** Columns the API never shows, left out of the generic rendering too. */
const privateColumns = new Set(['sequence', 'idempotency_key', 'request_hash', 'secret']);

/** The stored row with its types back: micro-amounts and sequences as bigint, times as Date. */
function typedRow(object: Record<string, unknown>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (typeof value === 'string' && (key.endsWith('_micros') || key === 'sequence' || key === 'sequence_number')) row[key] = BigInt(value);
    else if (typeof value === 'string' && key.endsWith('_at')) row[key] = new Date(value);
    else row[key] = value;
  }
  return row;
}

function microsText(value: unknown): unknown {
  if (typeof value === 'string') return formatMicros(BigInt(value));
  if (typeof value === 'number' && Number.isSafeInteger(value)) return formatMicros(BigInt(value));
  return value;
}

/** Any other object: its public columns, money as decimal strings. */
function genericData(object: Record<string, unknown>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (privateColumns.has(key)) continue;
    // A row's bigint column arrives as a string, a value the trigger built with jsonb_build_object (the
    // balance events' threshold and available amount) as a JSON number: both are exact integers of
    // micro-units (at most 10^15, within a double's exact range). A money column without a value (an
    // auto_recharge.disabled with no attempt) keeps the same name.
    if (key.endsWith('_micros')) data[key.slice(0, -'_micros'.length)] = microsText(value);
    else data[key] = value;
  }
  return data;
}

function dataOf(event: WebhookEventRecord, publicBaseUrl: string): Record<string, unknown> {
  const row = typedRow(event.object);
  if (event.type.startsWith('topup.')) return { ...presentOrder(snapshotFromRow(row as unknown as OrderRow), publicBaseUrl) };
  if (event.type === 'invoice.issued') return { ...presentInvoice(row as unknown as InvoiceRow, publicBaseUrl) };
  if (event.type.startsWith('refund.')) {
    return { ...presentRefund({ credit_note_number: null, ...row } as unknown as RefundRow, publicBaseUrl) };
  }
  return genericData(event.object);
}

export function renderEvent(event: WebhookEventRecord, publicBaseUrl: string): RenderedEvent {
  return {
    id: event.id,
    type: event.type,
    created: Math.floor(event.createdAt.getTime() / 1000),
    account_id: event.accountId,
    data: dataOf(event, publicBaseUrl),
  };
}
