// Transfer references: the short code a customer writes in the note of a bank transfer, so ops can match
// the money on the bank statement to its order. RF-7KQ4-M2XP: eight characters of Crockford's base32
// (digits and upper-case letters without I, L, O and U, which are read or typed as 1, 1, 0 and V).
// Eight characters are 40 random bits; the database's unique constraint catches the rare collision.
import { randomBytes } from 'node:crypto';

export const transferReferenceAlphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const transferReferencePattern = /^RF-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;
const referenceCharacters = 8;

/** A new random reference. 32 symbols are exactly 5 bits each, so every one is equally likely. */
export function newTransferReference(): string {
  const bytes = randomBytes(5);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let characters = '';
  for (let index = referenceCharacters - 1; index >= 0; index -= 1) {
    characters += transferReferenceAlphabet[Number((bits >> BigInt(index * 5)) & 31n)];
  }
  return `RF-${characters.slice(0, 4)}-${characters.slice(4)}`;
}

/**
 * Reads a reference as a person or a bank statement wrote it ("rf 7kq4 m2xp", "7KQ4M2XP", "RF-7KQ4-M2OP"):
 * case, spaces and hyphens do not matter, O is read as 0 and I or L as 1. Null when it cannot be one.
 */
export function normalizeTransferReference(text: string): string | null {
  const compact = text
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/^RF(?=[0-9A-Z]{8}$)/, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (compact.length !== referenceCharacters) return null;
  const reference = `RF-${compact.slice(0, 4)}-${compact.slice(4)}`;
  return transferReferencePattern.test(reference) ? reference : null;
}
