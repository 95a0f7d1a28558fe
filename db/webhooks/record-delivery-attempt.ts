// The outcome of one attempt, in one transaction: the attempt's row, the delivery's new state
// (delivered; pending again at `nextAttemptAt`; or failed once its retry window is over) and the
// endpoint's failing streak. An endpoint that has failed without a success for `disableAfter_ms` is
// disabled, its pending deliveries failed; the result says so, for the dispatcher to tell ops.
import type { Sql, TransactionSql } from '../client.ts';

export interface DeliveryAttemptOutcome {
  deliveryId: string;
  endpointId: string;
  attemptedAt: Date;
  statusCode: number | null;
  latency_ms: number;
  error: string | null;
  delivered: boolean;
  nextAttemptAt: Date;
  disableAfter_ms: number;
}

export interface RecordedAttempt {
  status: 'delivered' | 'pending' | 'failed';
  endpointDisabled: boolean;
}

export async function recordDeliveryAttempt(sql: Sql, outcome: DeliveryAttemptOutcome): Promise<RecordedAttempt> {
  return sql.begin(async (transaction) => {
    const [delivery] = await transaction<{ status: RecordedAttempt['status'] }[]>`
      update webhook_deliveries set
        attempt_count = attempt_count + 1,
        claimed_until = null,
        status = case when ${outcome.delivered} then 'delivered'
                      when ${outcome.nextAttemptAt} > retry_until then 'failed' else 'pending' end,
        delivered_at = case when ${outcome.delivered} then ${outcome.attemptedAt} else null end,
        next_attempt_at = ${outcome.nextAttemptAt},
        failure_reason = case when ${outcome.delivered} then null
                              when ${outcome.nextAttemptAt} > retry_until then 'retries over three days all failed' else null end
      where id = ${outcome.deliveryId}
      returning status`;
    await transaction`
      insert into webhook_delivery_attempts (delivery_id, number, attempted_at, status_code, latency_ms, error)
      select ${outcome.deliveryId}, attempt_count, ${outcome.attemptedAt}, ${outcome.statusCode}, ${outcome.latency_ms}, ${outcome.error}
      from webhook_deliveries where id = ${outcome.deliveryId}`;
    const endpointDisabled = await updateFailingStreak(transaction, outcome);
    return { status: delivery!.status, endpointDisabled };
  });
}

/** Ends the endpoint's failing streak on a success; on a failure starts it, or disables the endpoint once it is long enough. */
async function updateFailingStreak(transaction: TransactionSql, outcome: DeliveryAttemptOutcome): Promise<boolean> {
  if (outcome.delivered) {
    await transaction`update webhook_endpoints set failing_since = null where id = ${outcome.endpointId} and failing_since is not null`;
    return false;
  }
  const [endpoint] = await transaction<{ enabled: boolean; failing_since: Date | null }[]>`
    select enabled, failing_since from webhook_endpoints where id = ${outcome.endpointId} for update`;
  if (endpoint === undefined || !endpoint.enabled) return false;
  const failingSince = endpoint.failing_since ?? outcome.attemptedAt;
  const disable = outcome.attemptedAt.getTime() - failingSince.getTime() >= outcome.disableAfter_ms;
  await transaction`
    update webhook_endpoints set
      failing_since = ${failingSince},
      enabled = ${!disable},
      disabled_reason = ${disable ? disabledReason : null},
      updated_at = now()
    where id = ${outcome.endpointId}`;
  if (!disable) return false;
  await transaction`
    update webhook_deliveries set status = 'failed', failure_reason = ${disabledReason}
    where endpoint_id = ${outcome.endpointId} and status = 'pending'`;
  return true;
}

const disabledReason = 'every delivery to the endpoint failed for three days: it was disabled';
