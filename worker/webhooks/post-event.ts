// One attempt: POST the signed body to the endpoint, with a timeout for the whole exchange, never
// following redirects (a redirect could lead past the destination check). A 2xx is delivered; any
// other answer, a timeout or a connection error is a failed attempt, described for ops.
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { WebhookDestinationPolicy } from '../../domain/webhooks.ts';
import { checkedLookup, urlRefusal } from './destination.ts';
import { signatureHeader, signatureHeaderName } from './signature.ts';

export interface PostEventInput {
  url: string;
  secret: string;
  body: string;
  timeout_ms: number;
  policy: WebhookDestinationPolicy;
  now: Date;
}

export interface AttemptResult {
  delivered: boolean;
  statusCode: number | null;
  latency_ms: number;
  error: string | null;
}

/** Bytes of the endpoint's answer that are read; the rest is discarded. */
const maximumAnswerBytes = 64 * 1024;

export async function postEvent(input: PostEventInput): Promise<AttemptResult> {
  const started = performance.now();
  const refusal = urlRefusal(input.url, input.policy);
  if (refusal !== null) return { delivered: false, statusCode: null, latency_ms: 0, error: `destination refused: ${refusal}` };
  try {
    const statusCode = await send(input);
    const latency_ms = Math.round(performance.now() - started);
    const delivered = statusCode >= 200 && statusCode < 300;
    return { delivered, statusCode, latency_ms, error: delivered ? null : `the endpoint answered ${statusCode}` };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { delivered: false, statusCode: null, latency_ms: Math.round(performance.now() - started), error: message.slice(0, 500) };
  }
}

function send(input: PostEventInput): Promise<number> {
  const url = new URL(input.url);
  const transport = url.protocol === 'https:' ? https : http;
  const timestamp_seconds = Math.floor(input.now.getTime() / 1000);
  return new Promise<number>((resolve, reject) => {
    const request = transport.request(url, {
      method: 'POST',
      lookup: checkedLookup(input.policy) as never,
      agent: false,
      signal: AbortSignal.timeout(input.timeout_ms),
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(input.body),
        'user-agent': 'Refill-Webhooks/1',
        [signatureHeaderName]: signatureHeader(input.body, input.secret, timestamp_seconds),
      },
    });
    request.on('response', (response) => {
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > maximumAnswerBytes) response.destroy();
      });
      response.on('close', () => resolve(response.statusCode ?? 0));
      response.on('error', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', (error) => reject(error.name === 'AbortError' ? new Error(`no answer within ${input.timeout_ms} ms`) : error));
    request.end(input.body);
  });
}
