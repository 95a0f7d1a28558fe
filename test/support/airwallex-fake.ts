// A small stand-in for Airwallex's Payment Acceptance API, following its documented request and response
// shapes: login with x-client-id / x-api-key (a bearer token with expires_at), payment intents (create,
// which refuses a request_id it has seen with duplicate_request; list by merchant_order_id; retrieve;
// confirm with a QR flow; cancel, which refuses a succeeded intent), refunds (create, then retrieve, which finds it settled), the hosted page, and
// webhook events signed as Airwallex signs them. Every request is recorded so tests assert what the
// adapter sent. No Airwallex mock server exists to use instead.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { airwallexSignature } from '../../api/webhooks/airwallex-event.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown> | null;
}

export interface FakeIntent {
  id: string;
  request_id: string;
  amount: number;
  currency: string;
  merchant_order_id: string;
  status: 'REQUIRES_PAYMENT_METHOD' | 'REQUIRES_CUSTOMER_ACTION' | 'SUCCEEDED' | 'CANCELLED';
  client_secret: string;
  next_action: { type: string; qrcode: string } | null;
  metadata: Record<string, unknown>;
  created_at: string;
}

export interface SignedEvent {
  body: string;
  headers: Record<string, string>;
}

export interface AirwallexFake {
  url: string;
  clientId: string;
  apiKey: string;
  webhookSecret: string;
  requests: RecordedRequest[];
  intents: Map<string, FakeIntent>;
  /** The payer pays on the hosted page or by scanning: the intent succeeds (no webhook is sent). */
  succeed(intentId: string): FakeIntent;
  /** Makes every token issued so far invalid, as an early expiry would. */
  revokeTokens(): void;
  /** An event about an intent (or a refund), signed with the webhook secret (or another), at a time of the test's choice. */
  signedEvent(name: string, object: FakeIntent | Record<string, unknown>, options?: { id?: string; amount?: number; timestampMilliseconds?: number; secret?: string }): SignedEvent;
  close(): Promise<void>;
}

const tokenLifetimeMilliseconds = 30 * 60_000;

/** Airwallex's timestamp format: 2021-08-10T10:20:30+0000. */
function airwallexTime(milliseconds: number): string {
  return new Date(milliseconds).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

function randomId(prefix: string): string {
  return `${prefix}${randomBytes(10).toString('hex')}`;
}

export async function startAirwallexFake(): Promise<AirwallexFake> {
  const clientId = 'fake_client_id';
  const apiKey = `fake_api_key_${randomBytes(12).toString('hex')}`;
  const webhookSecret = `whsec_fake_${randomBytes(12).toString('hex')}`;
  const requests: RecordedRequest[] = [];
  const intents = new Map<string, FakeIntent>();
  const usedRequestIds = new Set<string>();
  const tokens = new Set<string>();
  const refunds = new Map<string, { id: string; status: string; [field: string]: unknown }>();

  function answer(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  function login(request: IncomingMessage, response: ServerResponse): void {
    if (request.headers['x-client-id'] !== clientId || request.headers['x-api-key'] !== apiKey) {
      answer(response, 401, { code: 'credentials_invalid', message: 'Invalid client id or API key' });
      return;
    }
    const token = randomId('token_');
    tokens.add(token);
    answer(response, 201, { token, expires_at: airwallexTime(Date.now() + tokenLifetimeMilliseconds) });
  }

  function createIntent(body: Record<string, unknown>, response: ServerResponse): void {
    const { request_id: requestId, amount, currency, merchant_order_id: orderId } = body;
    if (typeof requestId !== 'string' || typeof amount !== 'number' || amount <= 0 || typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency) || typeof orderId !== 'string') {
      answer(response, 400, { code: 'validation_error', message: 'request_id, amount, currency and merchant_order_id are required' });
      return;
    }
    if (usedRequestIds.has(requestId)) {
      answer(response, 400, { code: 'duplicate_request', message: `The request_id ${requestId} has been used` });
      return;
    }
    usedRequestIds.add(requestId);
    const intent: FakeIntent = {
      id: randomId('int_'),
      request_id: requestId,
      amount,
      currency,
      merchant_order_id: orderId,
      status: 'REQUIRES_PAYMENT_METHOD',
      client_secret: randomId('secret_'),
      next_action: null,
      metadata: (body.metadata as Record<string, unknown>) ?? {},
      created_at: airwallexTime(Date.now()),
    };
    intents.set(intent.id, intent);
    answer(response, 201, intent);
  }

  function intentAction(intent: FakeIntent, action: string, body: Record<string, unknown>, response: ServerResponse): void {
    if (action === 'confirm') {
      const method = body.payment_method as { type?: string; [key: string]: unknown } | undefined;
      const flow = method?.type === undefined ? undefined : (method[method.type] as { flow?: string } | undefined)?.flow;
      if ((method?.type !== 'wechatpay' && method?.type !== 'alipaycn') || flow !== 'qrcode') {
        answer(response, 400, { code: 'validation_error', message: 'payment_method must be wechatpay or alipaycn with flow qrcode' });
        return;
      }
      intent.status = 'REQUIRES_CUSTOMER_ACTION';
      const qrcode = method.type === 'wechatpay' ? `weixin://wxpay/bizpayurl?pr=${intent.id}` : `https://qr.alipay.com/${intent.id}`;
      intent.next_action = { type: 'render_qrcode', qrcode };
      answer(response, 200, intent);
      return;
    }
    if (action === 'cancel') {
      if (intent.status === 'SUCCEEDED') {
        answer(response, 400, { code: 'invalid_status_for_operation', message: `The PaymentIntent with status SUCCEEDED cannot be cancelled` });
        return;
      }
      intent.status = 'CANCELLED';
      answer(response, 200, intent);
      return;
    }
    answer(response, 404, { code: 'resource_not_found', message: 'No such operation' });
  }

  function paymentAcceptance(request: IncomingMessage, path: string, body: Record<string, unknown> | null, response: ServerResponse): void {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined || !tokens.has(token)) {
      answer(response, 401, { code: 'unauthorized', message: 'Access token is missing or expired' });
      return;
    }
    const url = new URL(path, 'http://fake');
    if (request.method === 'POST' && url.pathname === '/api/v1/pa/payment_intents/create') return createIntent(body ?? {}, response);
    if (request.method === 'GET' && url.pathname === '/api/v1/pa/payment_intents') {
      const orderId = url.searchParams.get('merchant_order_id');
      answer(response, 200, { items: [...intents.values()].filter((intent) => intent.merchant_order_id === orderId), has_more: false });
      return;
    }
    const match = /^\/api\/v1\/pa\/payment_intents\/([^/]+)(?:\/(confirm|cancel))?$/.exec(url.pathname);
    const intent = match === null ? undefined : intents.get(decodeURIComponent(match[1]!));
    if (match !== null && intent === undefined) return answer(response, 404, { code: 'resource_not_found', message: 'No such payment intent' });
    if (intent !== undefined && request.method === 'GET' && match![2] === undefined) return answer(response, 200, intent);
    if (intent !== undefined && request.method === 'POST' && match![2] !== undefined) return intentAction(intent, match![2], body ?? {}, response);
    if (request.method === 'POST' && url.pathname === '/api/v1/pa/refunds/create') {
      const refund = { id: randomId('rfd_'), request_id: body?.request_id, status: 'RECEIVED', payment_intent_id: body?.payment_intent_id, amount: body?.amount };
      refunds.set(refund.id, refund);
      return answer(response, 201, refund);
    }
    const refund = /^\/api\/v1\/pa\/refunds\/([^/]+)$/.exec(url.pathname);
    if (request.method === 'GET' && refund !== null) {
      const found = refunds.get(decodeURIComponent(refund[1]!));
      // A refund settles at the bank a while after it is received; asked again, it has.
      if (found !== undefined) found.status = 'SETTLED';
      return found === undefined ? answer(response, 404, { code: 'resource_not_found', message: 'No such refund' }) : answer(response, 200, found);
    }
    answer(response, 404, { code: 'resource_not_found', message: `No route ${request.method} ${url.pathname}` });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text === '' ? null : (JSON.parse(text) as Record<string, unknown>);
    const path = request.url ?? '/';
    requests.push({ method: request.method ?? 'GET', path, headers: request.headers, body });
    if (request.method === 'POST' && path === '/api/v1/authentication/login') return login(request, response);
    if (path.startsWith('/api/v1/pa/')) return paymentAcceptance(request, path, body, response);
    // The hosted payment page (its parameters are in the URL's fragment, which browsers do not send).
    if (request.method === 'GET' && path === '/') return void response.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Airwallex checkout</h1>');
    answer(response, 404, { code: 'resource_not_found', message: `No route ${request.method} ${path}` });
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => answer(response, 500, { code: 'internal_error', message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    clientId,
    apiKey,
    webhookSecret,
    requests,
    intents,
    succeed(intentId) {
      const intent = intents.get(intentId);
      if (intent === undefined) throw new Error(`no intent ${intentId}`);
      intent.status = 'SUCCEEDED';
      return intent;
    },
    revokeTokens: () => tokens.clear(),
    signedEvent(name, object, options = {}) {
      const timestamp = String(options.timestampMilliseconds ?? Date.now());
      const event = {
        id: options.id ?? randomId('evt_'),
        name,
        account_id: 'acct_fake',
        created_at: airwallexTime(Date.now()),
        version: '2024-06-30',
        data: { object: { ...object, ...(options.amount === undefined ? {} : { amount: options.amount }) } },
      };
      const body = JSON.stringify(event);
      const signature = airwallexSignature(options.secret ?? webhookSecret, timestamp, body);
      return { body, headers: { 'content-type': 'application/json', 'x-timestamp': timestamp, 'x-signature': signature } };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
