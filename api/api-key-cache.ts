// The API key lookups of one API process, kept for a few seconds (API_KEY_CACHE_SECONDS) so that the
// usage hot path does not query PostgreSQL on every request. Owner: this process's cache is written only
// here; the truth stays in the api_keys and accounts tables.
//
// Revocation is never left to the expiry: migration 0010 announces every change of a key or an account
// on a channel, and this process's listener (db/accounts/listen-for-api-key-changes.ts) evicts what it
// names as soon as the notification arrives. While the listener is not listening (before its first
// LISTEN, or after its connection was lost) the cache is empty and bypassed: every request queries.
// Unknown keys are never cached, so a bad key cannot push good ones out, and a new key works at once.
import { LRUCache } from 'lru-cache';
import type { ApiKeyCacheConfig, Config } from '../config/config.ts';
import type { AuthenticatedAccount } from '../db/accounts/find-account-by-api-key.ts';
import { listenForApiKeyChanges, type ApiKeyChange } from '../db/accounts/listen-for-api-key-changes.ts';
import type { Logger } from '../observability/logger.ts';

export class ApiKeyCache {
  private readonly entries: LRUCache<string, AuthenticatedAccount> | null;
  private listening = false;
  /** Counts evictions: a lookup that saw one while it ran may have read what was just revoked, so it is not kept. */
  private evictions = 0;
  /** Changes announced by PostgreSQL and applied so far (tests wait on it). */
  changesApplied = 0;
  /** Times the listener lost its connection so far. */
  listenerLosses = 0;

  constructor(config: ApiKeyCacheConfig) {
    this.entries = config.seconds === 0 ? null : new LRUCache({ max: config.maximumEntries, ttl: config.seconds * 1_000, ttlAutopurge: false });
  }

  /** The account of a key (by the hex of its SHA-256): from the cache when it may be trusted, else from `load`. */
  async lookup(keyHashHex: string, load: () => Promise<AuthenticatedAccount | null>): Promise<AuthenticatedAccount | null> {
    if (this.entries === null || !this.listening) return load();
    const cached = this.entries.get(keyHashHex);
    if (cached !== undefined) return cached;
    const evictionsBefore = this.evictions;
    const account = await load();
    if (account !== null && this.listening && this.evictions === evictionsBefore) this.entries.set(keyHashHex, account);
    return account;
  }

  /** Applies a change announced by PostgreSQL. */
  apply(change: ApiKeyChange): void {
    this.evictions += 1;
    this.changesApplied += 1;
    if (this.entries === null) return;
    if (change.kind === 'key') this.entries.delete(change.keyHashHex);
    else if (change.kind === 'all') this.entries.clear();
    else {
      for (const [keyHashHex, account] of this.entries.entries()) {
        if (account.accountId === change.accountId) this.entries.delete(keyHashHex);
      }
    }
  }

  /** The listener listens: changes from now on reach apply(), so cached lookups may be trusted. */
  listeningStarted(): void {
    this.evictions += 1;
    this.entries?.clear();
    this.listening = true;
  }

  /** The listener lost its connection: a change may be missed, so nothing cached is trusted until it listens again. */
  listeningLost(): void {
    this.listening = false;
    this.listenerLosses += 1;
    this.evictions += 1;
    this.entries?.clear();
  }

  /** Whether cached lookups are used: the listener listens and a cache time is set. */
  get inUse(): boolean {
    return this.entries !== null && this.listening;
  }

  /** How many lookups are kept (tests: the cache is bounded). */
  get size(): number {
    return this.entries?.size ?? 0;
  }
}

export interface RunningApiKeyCache {
  cache: ApiKeyCache;
  close(): Promise<void>;
}

/** The process's cache with its listener on a connection of its own; the cache is used only while it listens. */
export async function startApiKeyCache(config: Config, logger: Logger): Promise<RunningApiKeyCache> {
  const cache = new ApiKeyCache(config.api.apiKeyCache);
  if (config.api.apiKeyCache.seconds === 0) return { cache, close: async () => {} };
  let lost = false;
  const listener = await listenForApiKeyChanges(config.database.url, 'refill-api-key-listener', {
    onChange: (change) => cache.apply(change),
    onListening: () => {
      cache.listeningStarted();
      if (lost) logger.info('API key cache in use again: listening for key changes');
      lost = false;
    },
    onLost: (reason) => {
      cache.listeningLost();
      if (!lost) logger.warn({ reason }, 'API key cache bypassed until the key change listener reconnects');
      lost = true;
    },
  });
  return { cache, close: () => listener.close() };
}
