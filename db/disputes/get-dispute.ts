// Reads one dispute by the provider's id.
import type { Sql } from '../client.ts';
import type { DisputeRow } from './dispute-row.ts';

export async function getDispute(sql: Sql, disputeId: string): Promise<DisputeRow | null> {
  const [row] = await sql<DisputeRow[]>`select * from disputes where id = ${disputeId}`;
  return row ?? null;
}
