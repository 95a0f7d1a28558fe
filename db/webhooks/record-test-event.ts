// POST /admin/webhook-endpoints/{id}/test: a webhook_endpoint.test event delivered to that endpoint
// only, as every event is (signed, retried), so a platform can check its verification end to end.
import type { Sql } from '../client.ts';

export interface TestEventResult {
  eventId: string;
  deliveryId: string;
}

export async function recordTestEvent(sql: Sql, endpointId: string): Promise<TestEventResult> {
  return sql.begin(async (transaction) => {
    const [event] = await transaction<{ id: string }[]>`
      insert into webhook_events (type, account_id, object)
      values ('webhook_endpoint.test', null, ${transaction.json({ endpoint_id: endpointId })})
      returning id`;
    const [delivery] = await transaction<{ id: string }[]>`
      insert into webhook_deliveries (event_id, endpoint_id) values (${event!.id}, ${endpointId})
      returning id`;
    return { eventId: event!.id, deliveryId: delivery!.id };
  });
}
