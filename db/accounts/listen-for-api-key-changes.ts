// Listens on one dedicated connection for the changes migration 0010 announces (a key revoked or
// deleted, an account changed or removed), so that each API process can drop what it cached at once.
// The connection is the listener's alone: a pooled one would be handed to other queries. When it is
// lost, the listener says so (the cache must not be trusted until it listens again), and re-listens
// with bounded backoff until closed.
import postgres from 'postgres';

/** The channel of migration 0010's triggers. */
export const apiKeyChangesChannel = 'refill_api_key_changes';

/** What a notification names: one key (by the hex of its SHA-256), every key of an account, or everything. */
export type ApiKeyChange = { kind: 'key'; keyHashHex: string } | { kind: 'account'; accountId: string } | { kind: 'all' };

export interface ApiKeyChangeHandlers {
  onChange(change: ApiKeyChange): void;
  /** LISTEN took effect (first, or again after a loss): changes from now on are announced. */
  onListening(): void;
  /** The connection closed: changes may be missed until onListening. */
  onLost(reason: string): void;
}

export interface ApiKeyChangeListener {
  close(): Promise<void>;
}

const firstRetryDelayMilliseconds = 100;
const longestRetryDelayMilliseconds = 5_000;

/** A payload of 0010's triggers; anything else is treated as "everything", which is always safe. */
export function parseApiKeyChange(payload: string): ApiKeyChange {
  if (payload.startsWith('key:')) return { kind: 'key', keyHashHex: payload.slice('key:'.length) };
  if (payload.startsWith('account:')) return { kind: 'account', accountId: payload.slice('account:'.length) };
  return { kind: 'all' };
}

/** Starts listening; resolves once the first LISTEN is in effect or has failed once (it keeps trying). */
export async function listenForApiKeyChanges(url: string, applicationName: string, handlers: ApiKeyChangeHandlers): Promise<ApiKeyChangeListener> {
  let closed = false;
  let relistening: Promise<void> | null = null;
  // postgres.js hands notifications to `onnotify` (its own listen() is built on it, but hides the closing
  // of its connection, which is what this listener must know about); its types do not name the option.
  const options: postgres.Options<Record<string, never>> & { onnotify: (channel: string, payload: string) => void } = {
    max: 1,
    // Never closed for idleness or age: a listener is idle by design.
    max_lifetime: null,
    connect_timeout: 5,
    fetch_types: false,
    connection: { application_name: applicationName },
    onnotice: () => {},
    onnotify: (channel, payload) => {
      if (channel === apiKeyChangesChannel) handlers.onChange(parseApiKeyChange(payload));
    },
    onclose: () => {
      if (closed) return;
      handlers.onLost('the listening connection to PostgreSQL closed');
      relistening ??= relisten().finally(() => (relistening = null));
    },
  };
  const connection = postgres(url, options);

  const listenOnce = async () => {
    await connection`listen ${connection(apiKeyChangesChannel)}`;
    handlers.onListening();
  };
  const relisten = async () => {
    for (let delay = firstRetryDelayMilliseconds; !closed; delay = Math.min(delay * 2, longestRetryDelayMilliseconds)) {
      try {
        return await listenOnce();
      } catch {
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };

  try {
    await listenOnce();
  } catch (error) {
    handlers.onLost(`LISTEN failed: ${(error as Error).message}`);
    relistening ??= relisten().finally(() => (relistening = null));
  }
  return {
    close: async () => {
      closed = true;
      await connection.end({ timeout: 1 });
    },
  };
}
