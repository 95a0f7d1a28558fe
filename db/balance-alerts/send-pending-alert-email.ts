// One pending low-balance email (a balance.low event of an account that asked for emails): claimed
// under a row lock (SKIP LOCKED: another worker takes the next), sent by `send` while the lock is held,
// and marked sent (or failed, when the mail server refused it for good) in the same transaction; a send
// that throws leaves it pending for the next poll.
// Returns false when none was pending.
import type { Sql } from '../client.ts';

export interface PendingAlertEmail {
  eventId: string;
  accountId: string;
  email: string;
  currency: string;
  thresholdMicros: bigint;
  availableMicros: bigint;
}

export async function sendPendingAlertEmail(sql: Sql, send: (email: PendingAlertEmail) => Promise<'sent' | 'failed'>): Promise<boolean> {
  return sql.begin(async (transaction) => {
    const [row] = await transaction<{ id: string; account_id: string; email: string; object: Record<string, string> }[]>`
      select e.id, e.account_id, a.email, e.object from webhook_events e join accounts a on a.id = e.account_id
      where e.email_status = 'pending'
      order by e.sequence limit 1
      for update of e skip locked`;
    if (row === undefined) return false;
    const outcome = await send({
      eventId: row.id,
      accountId: row.account_id,
      email: row.email,
      currency: row.object.currency!,
      thresholdMicros: BigInt(row.object.threshold_micros!),
      availableMicros: BigInt(row.object.available_micros!),
    });
    await transaction`update webhook_events set email_status = ${outcome} where id = ${row.id}`;
    return true;
  });
}
