// Transfer references: the short code a customer writes in the note of a bank transfer, so ops can match
// the money on the bank statement to its order. RF-7KQ4-M2XP: eight characters of Crockford's base32
// (digits and upper-case letters without I, L, O and U, which are read or typed as 1, 1, 0 and V).
// Eight characters are 40 random bits; the database's unique constraint catches the rare collision.
// Drawing a new reference needs random bytes, so it is in ids/transfer-references.ts; the format and
// reading one back are pure and stay here.

export const transferReferenceAlphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const transferReferencePattern = /^RF-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;
/** The characters of a reference after its "RF-" prefix, without the hyphen. */
export const transferReferenceCharacters = 8;

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
  if (compact.length !== transferReferenceCharacters) return null;
  const reference = `RF-${compact.slice(0, 4)}-${compact.slice(4)}`;
  return transferReferencePattern.test(reference) ? reference : null;
}
