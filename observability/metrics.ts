// The process's Prometheus metrics (prom-client): one registry per process, read at GET /metrics (the
// API's own port; the worker's WORKER_METRICS_PORT, worker/metrics-server.ts). This module owns every
// metric Refill defines; the code that sees an event records it here, and nothing else writes them.
// Labels are closed sets (route templates, never raw paths; statuses; event types Refill knows), so a
// client cannot grow a series per request; recording is a counter or histogram update, nothing more.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LedgerBatcherObserver } from '../db/ledger/ledger-batcher.ts';

export const metricsRegistry = new Registry();
// Node's own: CPU, memory, event loop lag, GC, handles.
collectDefaultMetrics({ register: metricsRegistry });

export const httpRequests = new Counter({
  name: 'refill_http_requests_total',
  help: 'HTTP requests answered, by method, route template and status.',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [metricsRegistry],
});

export const httpRequestDuration = new Histogram({
  name: 'refill_http_request_duration_seconds',
  help: 'Time from a request\'s arrival to the end of its answer, by method, route template and status.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

export const webhookEvents = new Counter({
  name: 'refill_webhook_events_total',
  help: 'Signed webhook events received, by provider, event type and outcome (what became of them, or why they were refused).',
  labelNames: ['provider', 'type', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const orderTransitions = new Counter({
  name: 'refill_order_status_transitions_total',
  help: 'Order status changes saved by the order workflows, by payment method, from and to.',
  labelNames: ['payment_method', 'from', 'to'] as const,
  registers: [metricsRegistry],
});

export const paymentToCredit = new Histogram({
  name: 'refill_payment_to_credit_seconds',
  help: 'From the payment\'s arrival (paid_at) to the credit\'s commit, by payment method.',
  labelNames: ['payment_method'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
  registers: [metricsRegistry],
});

export const ledgerBatchTransfers = new Histogram({
  name: 'refill_ledger_batch_transfers',
  help: 'Transfers per batch the ledger batcher posted.',
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
  registers: [metricsRegistry],
});

export const ledgerBatchCommit = new Histogram({
  name: 'refill_ledger_batch_commit_seconds',
  help: 'Time to post one batch (its transaction and commit), as the batcher saw it.',
  buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [metricsRegistry],
});

/** The batchers of this process, whose queues the gauge below reads when scraped. */
const queueReaders = new Set<() => number>();

new Gauge({
  name: 'refill_ledger_queue_transfers',
  help: 'Transfers waiting for a ledger batch now, summed over the process\'s batchers.',
  registers: [metricsRegistry],
  collect() {
    let depth = 0;
    for (const read of queueReaders) depth += read();
    this.set(depth);
  },
});

export const invoiceEmailFailures = new Counter({
  name: 'refill_invoice_email_failures_total',
  help: 'Invoice emails that failed after their retries and were recorded as failed.',
  registers: [metricsRegistry],
});

/** The observer a LedgerBatcher reports its batches to. */
export const ledgerBatcherMetrics: LedgerBatcherObserver = {
  batchPosted(transfers, seconds) {
    ledgerBatchTransfers.observe(transfers);
    ledgerBatchCommit.observe(seconds);
  },
};

/** Counts the batcher's queue in refill_ledger_queue_transfers until the returned function is called. */
export function watchLedgerQueue(queueDepth: () => number): () => void {
  queueReaders.add(queueDepth);
  return () => queueReaders.delete(queueDepth);
}

/** The Prometheus text of this process's metrics, and its content type. */
export async function metricsText(): Promise<{ contentType: string; text: string }> {
  return { contentType: metricsRegistry.contentType, text: await metricsRegistry.metrics() };
}
