// The /v1 calls of the orders, account flows, auto-recharge and balance alert tabs, through the portal's
// typed client (portal/src/api.ts). Each answers an Outcome: the data, or the API's refusal (code,
// message, field), which the tab shows as the precise reason instead of throwing it into the page.
import type { RefillObject } from '../../../../client/index.ts';
import { ApiProblem, type PortalApi } from '../../api.ts';

export type Order = RefillObject<'Order'>;
export type OrderStatus = RefillObject<'OrderStatus'>;
export type RefundStatus = RefillObject<'RefundStatus'>;
export type Flow = RefillObject<'Flow'>;
export type FlowType = Flow['type'];
export type SavedCard = RefillObject<'SavedCard'>;
export type AutoRecharge = RefillObject<'AutoRecharge'>;
export type BalanceAlerts = RefillObject<'BalanceAlerts'>;

export interface Problem {
  code: string;
  message: string;
  field?: string | undefined;
}

export type Outcome<Data> = { data: Data; problem?: undefined } | { data?: undefined; problem: Problem };

export interface Page<Item> {
  data: Item[];
  next_cursor: string | null;
}

/** The call's data, or its refusal as a Problem. */
async function outcomeOf<Data>(api: PortalApi, call: Promise<{ data?: Data; error?: unknown; response: Response }>): Promise<Outcome<Data>> {
  try {
    return { data: await api.data(call) };
  } catch (error) {
    if (error instanceof ApiProblem) return { problem: { code: error.code, message: error.message, field: error.field } };
    throw error;
  }
}

/** Hands a fetched file to the browser as a download with the given name. */
function saveFile(file: Blob, fileName: string): void {
  const url = URL.createObjectURL(file);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the file once click() returns; the object URL can go after this task.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** The tabs' calls over one session's API. */
export function tabCalls(api: PortalApi) {
  const { client } = api;
  const path = (id: string) => ({ params: { path: { id } } });
  const download = async (call: Promise<{ data?: Blob; error?: unknown; response: Response }>, fileName: string): Promise<Problem | null> => {
    const outcome = await outcomeOf(api, call);
    if (outcome.problem !== undefined) return outcome.problem;
    saveFile(outcome.data, fileName);
    return null;
  };
  return {
    listOrders: (status: OrderStatus | null, cursor: string | null, limit: number) =>
      outcomeOf(api, client.GET('/v1/topups', { params: { query: { limit: String(limit), ...(status === null ? {} : { status }), ...(cursor === null ? {} : { cursor }) } } })),
    resumeOrder: (orderId: string) => outcomeOf(api, client.POST('/v1/topups/{id}/resume', path(orderId))),
    cancelOrder: (orderId: string) => outcomeOf(api, client.POST('/v1/topups/{id}/cancel', path(orderId))),
    requestRefund: (orderId: string, body: { amount?: string; reason: string }, idempotencyKey: string) =>
      outcomeOf(api, client.POST('/v1/topups/{id}/refund-requests', { params: { path: { id: orderId }, header: { 'Idempotency-Key': idempotencyKey } }, body })),
    listFlows: (type: FlowType | null, cursor: string | null, limit: number) =>
      outcomeOf(api, client.GET('/v1/account-flows', { params: { query: { limit: String(limit), ...(type === null ? {} : { type }), ...(cursor === null ? {} : { cursor }) } } })),
    getAutoRecharge: () => outcomeOf(api, client.GET('/v1/auto-recharge')),
    putAutoRecharge: (body: AutoRechargeSettings) => outcomeOf(api, client.PUT('/v1/auto-recharge', { body })),
    listCards: () => outcomeOf(api, client.GET('/v1/payment-methods')),
    setupCard: (returnUrl: string, idempotencyKey: string) =>
      outcomeOf(api, client.POST('/v1/payment-methods/setup', { params: { header: { 'Idempotency-Key': idempotencyKey } }, body: { success_url: returnUrl, cancel_url: returnUrl } })),
    makeDefaultCard: (cardId: string) => outcomeOf(api, client.POST('/v1/payment-methods/{id}/default', path(cardId))),
    removeCard: (cardId: string) => outcomeOf(api, client.DELETE('/v1/payment-methods/{id}', path(cardId))),
    getBalanceAlerts: () => outcomeOf(api, client.GET('/v1/balance-alerts')),
    putBalanceAlerts: (body: { thresholds: string[]; email: boolean }) => outcomeOf(api, client.PUT('/v1/balance-alerts', { body })),
    /** The order's invoice PDF, saved by the browser; the refusal when there is none yet. */
    downloadInvoice: (orderId: string, fileName: string) => download(client.GET('/v1/topups/{id}/invoice', { ...path(orderId), parseAs: 'blob' }), fileName),
    /** The refund's credit note PDF, saved by the browser. */
    downloadCreditNote: (refundId: string, fileName: string) => download(client.GET('/v1/refunds/{id}/credit-note', { ...path(refundId), parseAs: 'blob' }), fileName),
  };
}

/** The body of PUT /v1/auto-recharge, as the contract types it. */
export interface AutoRechargeSettings {
  enabled: boolean;
  threshold: string;
  amount?: string;
  monthly_limit: string;
  payment_method_id?: string | null;
  cooldown_seconds?: number;
  maximum_per_day?: number;
  consent?: { ip_address?: string; user_agent?: string };
}

export type TabCalls = ReturnType<typeof tabCalls>;
