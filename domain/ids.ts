// Random, prefixed identifiers for objects the system creates: 'acct_…', 'ord_…', 'rk_live_…'.
import { randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
const idLength = 24;

/** 24 characters from [0-9a-z] (about 124 bits) drawn without modulo bias. */
export function randomToken(length = idLength): string {
  let token = '';
  while (token.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 252 is the largest multiple of 36 below 256: dropping bytes above it keeps every character equally likely.
      if (byte < 252 && token.length < length) token += alphabet[byte % 36];
    }
  }
  return token;
}

export function newAccountId(): string {
  return `acct_${randomToken()}`;
}

export function newApiKey(): string {
  return `rfk_${randomToken(40)}`;
}
