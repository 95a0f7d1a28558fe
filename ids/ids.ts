// The identifiers the system creates: random, prefixed ids for accounts and API keys ('acct_…',
// 'rfk_…'), and order ids derived from the request ('ord_…'). Both need node:crypto (random bytes, sha256),
// so they live outside domain/, which holds only the alphabet and the lengths (domain/ids.ts).
import { createHash, randomBytes } from 'node:crypto';
import { apiKeyLength, idAlphabet, idLength } from '../domain/ids.ts';

/** 24 characters from [0-9a-z] (about 124 bits) drawn without modulo bias. */
export function randomToken(length = idLength): string {
  let token = '';
  while (token.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 252 is the largest multiple of 36 below 256: dropping bytes above it keeps every character equally likely.
      if (byte < 252 && token.length < length) token += idAlphabet[byte % 36];
    }
  }
  return token;
}

/** A new account's id. */
export function newAccountId(): string {
  return `acct_${randomToken()}`;
}

/** A new API key; it is shown to the customer once and stored only as a hash. */
export function newApiKey(): string {
  return `rfk_${randomToken(apiKeyLength)}`;
}

/**
 * An order's id follows from its account and the client's Idempotency-Key, so a retried request finds
 * the same order (and the same workflow) without any lookup table.
 */
export function orderIdFor(accountId: string, idempotencyKey: string): string {
  return `ord_${derivedToken(accountId, idempotencyKey)}`;
}

/** 24 characters of [0-9a-z] from a digest of the parts: the same parts always give the same id. */
function derivedToken(...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\n')).digest();
  let id = '';
  for (let index = 0; id.length < idLength; index += 1) {
    // 5 bits a character from a 256-bit digest: unbiased over a 32-character subset of the alphabet.
    const bitOffset = index * 5;
    const byte = bitOffset >> 3;
    const value = ((digest[byte]! << 8) | (digest[byte + 1] ?? 0)) >> (11 - (bitOffset & 7));
    id += idAlphabet[value & 31];
  }
  return id;
}

/** A refund's id follows from its account and the client's Idempotency-Key, as an order's does. */
export function refundIdFor(accountId: string, idempotencyKey: string): string {
  return `rfd_${derivedToken('refund', accountId, idempotencyKey)}`;
}

/** The id of a refund made at the provider: every event of that provider refund names the same one. */
export function refundIdOfProviderRefund(providerRefundId: string): string {
  return `rfd_${derivedToken('provider-refund', providerRefundId)}`;
}

/**
 * A hold's id follows from its account and the client's Idempotency-Key, as an order's does, so a
 * retried creation names the same hold, and so the same ledger transfer, without any lookup.
 */
export function holdIdFor(accountId: string, idempotencyKey: string): string {
  return `hold_${derivedToken(accountId, 'hold', idempotencyKey)}`;
}

/**
 * An auto-recharge attempt's id follows from its account and the workflow's key for it, so a retried
 * activity names the same attempt, and the provider's idempotency key built from it the same charge.
 */
export function autoRechargeAttemptIdFor(accountId: string, attemptKey: string): string {
  return `arc_${derivedToken('auto-recharge', accountId, attemptKey)}`;
}
