// The webhook dispatcher: runs in the worker process and is the one writer of deliveries and attempts
// once the outbox triggers have written them. Every `poll_ms` it claims due deliveries (SKIP LOCKED, so
// several workers share them), posts each signed event, and records the outcome with the next attempt's
// time (exponential backoff for three days). Nothing is held in memory between polls: a worker killed
// at any point loses no event, and at worst repeats an attempt whose outcome it had not yet recorded.
import type { Config } from '../../config/config.ts';
import type { Sql } from '../../db/client.ts';
import { claimDueDeliveries, type ClaimedDelivery } from '../../db/webhooks/claim-due-deliveries.ts';
import { recordDeliveryAttempt } from '../../db/webhooks/record-delivery-attempt.ts';
import { webhookRetryDelay_ms, webhookRetryWindow_ms, type WebhookDestinationPolicy } from '../../domain/webhooks.ts';
import type { Logger } from '../../observability/logger.ts';
import type { MailTransport } from '../../activities/invoices.ts';
import { sendAlertEmails } from './alert-emails.ts';
import { composeEndpointDisabledEmail } from './compose-emails.ts';
import { postEvent } from './post-event.ts';
import { renderEvent } from './render-event.ts';

export interface WebhookDispatcherSettings {
  poll_ms: number;
  attemptTimeout_ms: number;
  firstRetryDelay_ms: number;
  policy: WebhookDestinationPolicy;
  publicBaseUrl: string;
  mailFrom: string;
  /** Where the notice of a disabled endpoint goes. */
  opsEmail: string;
}

/** The dispatcher's settings from the configuration. */
export function webhookDispatcherSettings(config: Config): WebhookDispatcherSettings {
  return {
    poll_ms: config.webhooks.pollInterval_ms,
    attemptTimeout_ms: config.webhooks.attemptTimeout_ms,
    firstRetryDelay_ms: config.webhooks.firstRetryDelay_ms,
    policy: config.webhooks.allowedDestinations,
    publicBaseUrl: config.api.publicBaseUrl,
    mailFrom: config.mail.from,
    opsEmail: config.webhooks.opsEmail,
  };
}

export interface WebhookDispatcherDependencies {
  sql: Sql;
  logger: Logger;
  mailTransport: MailTransport;
  settings: WebhookDispatcherSettings;
}

export interface WebhookDispatcher {
  /** Stops polling, and resolves once the poll in progress has finished. */
  stop(): Promise<void>;
}

/** Deliveries claimed in one poll; they are attempted concurrently. */
const deliveriesPerPoll = 20;

async function deliverOne(dependencies: WebhookDispatcherDependencies, delivery: ClaimedDelivery): Promise<void> {
  const { settings, logger } = dependencies;
  const body = JSON.stringify(renderEvent(delivery.event, settings.publicBaseUrl));
  const attemptedAt = new Date();
  const result = await postEvent({ url: delivery.url, secret: delivery.secret, body, timeout_ms: settings.attemptTimeout_ms, policy: settings.policy, now: attemptedAt });
  const nextAttemptAt = new Date(attemptedAt.getTime() + webhookRetryDelay_ms(delivery.attemptCount + 1, settings.firstRetryDelay_ms));
  const recorded = await recordDeliveryAttempt(dependencies.sql, {
    deliveryId: delivery.id,
    endpointId: delivery.endpointId,
    attemptedAt,
    ...result,
    nextAttemptAt,
    disableAfter_ms: webhookRetryWindow_ms,
  });
  const fields = { deliveryId: delivery.id, eventId: delivery.event.id, eventType: delivery.event.type, endpointId: delivery.endpointId, statusCode: result.statusCode };
  if (recorded.status === 'delivered') logger.info(fields, 'webhook delivered');
  else logger.warn({ ...fields, error: result.error, status: recorded.status }, 'webhook attempt failed');
  if (recorded.endpointDisabled) await tellOpsOfDisabledEndpoint(dependencies, delivery);
}

async function tellOpsOfDisabledEndpoint(dependencies: WebhookDispatcherDependencies, delivery: ClaimedDelivery): Promise<void> {
  const { settings, logger } = dependencies;
  logger.error({ endpointId: delivery.endpointId, url: delivery.url }, 'webhook endpoint disabled after three days of failures');
  try {
    await dependencies.mailTransport.sendMail(composeEndpointDisabledEmail(delivery.endpointId, delivery.url, settings.opsEmail, settings.mailFrom));
  } catch (error) {
    // The endpoint's state is recorded either way; the log line above is ops' second way to learn it.
    logger.error({ err: error, endpointId: delivery.endpointId }, 'the email about a disabled webhook endpoint could not be sent');
  }
}

/** One poll: claims due deliveries and attempts them all; then sends pending alert emails. */
export async function dispatchOnce(dependencies: WebhookDispatcherDependencies): Promise<number> {
  const claim_ms = dependencies.settings.attemptTimeout_ms + 30_000;
  const claimed = await claimDueDeliveries(dependencies.sql, deliveriesPerPoll, claim_ms);
  await Promise.all(claimed.map((delivery) => deliverOne(dependencies, delivery)));
  await sendAlertEmails(dependencies);
  return claimed.length;
}

/** Starts dispatching; a failed poll (PostgreSQL away) is logged and the next one tries again. */
export function startWebhookDispatcher(dependencies: WebhookDispatcherDependencies): WebhookDispatcher {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const poll = async (): Promise<void> => {
    try {
      // A full poll means more are due: poll again at once rather than after the interval.
      while (!stopped && (await dispatchOnce(dependencies)) === deliveriesPerPoll);
    } catch (error) {
      dependencies.logger.warn({ err: error }, 'webhook dispatch failed; the next poll tries again');
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = poll().finally(schedule);
    }, dependencies.settings.poll_ms);
    timer.unref();
  };
  schedule();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
