// The JSON shapes of objects, in one place, so every route shows an object the same way.
import type { AccountFlow } from '../db/ledger/list-account-flows.ts';
import { formatMicros } from '../domain/money.ts';

export interface FlowJson {
  id: string;
  type: string;
  /** Signed: positive for money in (recharge), negative for money out (consume). */
  amount: string;
  balance_after: string;
  description: string | null;
  user: string | null;
  order_id: string | null;
  metadata: Record<string, string>;
  created_at: string;
}

export function flowId(entryId: bigint): string {
  return `flow_${entryId}`;
}

export function presentFlow(flow: AccountFlow): FlowJson {
  return {
    id: flowId(flow.entryId),
    type: flow.flowType,
    amount: formatMicros(flow.amountMicros),
    balance_after: formatMicros(flow.balanceAfterMicros),
    description: flow.description,
    user: flow.userReference,
    order_id: flow.orderId,
    metadata: flow.metadata ?? {},
    created_at: flow.createdAt.toISOString(),
  };
}
