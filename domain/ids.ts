// The shapes of the identifiers the system creates: 'acct_…', 'ord_…', 'rfk_…'. Only the alphabet and
// the lengths live here; drawing random ids and deriving order ids touch node:crypto, so they are in ids/.

/** The characters of every generated id: digits and lower-case letters, safe in URLs and easy to read aloud. */
export const idAlphabet = '0123456789abcdefghijklmnopqrstuvwxyz';

/** 24 characters: about 124 bits when random, 120 bits when derived from a digest (5 bits a character). */
export const idLength = 24;

/** 40 characters for an API key: a secret gets more entropy than an object id. */
export const apiKeyLength = 40;
