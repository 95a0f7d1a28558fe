// Stripe's official API mock (stripe-mock): validates requests against Stripe's OpenAPI spec and answers
// with fixed fixtures. Used by tests so the real Stripe client code path runs without Stripe.
import { isListening } from './ports.ts';
import { startProcess, waitUntil, type ManagedProcess } from './processes.ts';

export interface LocalStripeMock {
  apiBase: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export async function startStripeMock(binaryPath: string, port: number, onLine?: (line: string) => void): Promise<LocalStripeMock> {
  const process = startProcess({
    name: 'stripe-mock',
    command: binaryPath,
    // Without an explicit HTTPS address it also claims a fixed HTTPS port, clashing with another copy.
    args: ['-http-addr', `127.0.0.1:${port}`, '-https-addr', '127.0.0.1:'],
    ...(onLine === undefined ? {} : { onLine }),
  });
  await waitUntil('stripe-mock', () => isListening(port), { timeoutMilliseconds: 30_000, abort: process.exited });
  return { apiBase: `http://127.0.0.1:${port}`, process, stop: () => process.stop() };
}
