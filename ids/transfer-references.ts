// New bank transfer references (RF-7KQ4-M2XP), drawn from node:crypto. Their format, and reading one
// back from a bank statement, are in domain/transfer-references.ts.
import { randomBytes } from 'node:crypto';
import { transferReferenceAlphabet, transferReferenceCharacters } from '../domain/transfer-references.ts';

/** A new random reference. 32 symbols are exactly 5 bits each, so every one is equally likely. */
export function newTransferReference(): string {
  const bytes = randomBytes(5);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let characters = '';
  for (let index = transferReferenceCharacters - 1; index >= 0; index -= 1) {
    characters += transferReferenceAlphabet[Number((bits >> BigInt(index * 5)) & 31n)];
  }
  return `RF-${characters.slice(0, 4)}-${characters.slice(4)}`;
}
