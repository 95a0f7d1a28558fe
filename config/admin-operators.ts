// The named credentials of the /admin routes. ADMIN_TOKENS lists them as `name:token` pairs separated
// by commas (`alice:<token>,bob:<token>`); ADMIN_TOKEN, the single token of earlier releases, is the
// operator `admin`. Each request's operator follows from its token, so that what ops do is recorded as
// the person who did it. Only the SHA-256 digest of each token is kept once the configuration is read.
import { createHash } from 'node:crypto';

/**
 * Operator names as they are recorded: lower-case letters (of any script, and letters without case,
 * such as Chinese), digits, ".", "_" and "-": `alice`, `ops.bob`, `张伟`. Upper case is refused so
 * that one person cannot be recorded under two spellings.
 */
export const operatorNamePattern = /^[\p{Ll}\p{Lo}\p{Nd}._-]{1,64}$/u;
/** Tokens of ADMIN_TOKENS are drawn by a machine: 32 characters are the least that are accepted. */
export const minimumOperatorTokenLength = 32;
/** The longest bearer token the API reads (api/auth.ts). */
export const maximumOperatorTokenLength = 200;
/** Who ADMIN_TOKEN acts as. */
export const singleTokenOperator = 'admin';
/** Actors that are not operators: an operator by that name would be mistaken for them in the records. */
const reservedOperatorNames: readonly string[] = ['customer'];
/** Printable ASCII without the space and the comma, which separates the entries. */
const tokenPattern = /^[\x21-\x2b\x2d-\x7e]+$/;

export interface AdminOperator {
  name: string;
  /** SHA-256 of the operator's token; the token itself is not kept. */
  tokenDigest: Buffer;
}

export interface OperatorToken {
  name: string;
  token: string;
}

/** The SHA-256 of a token: what configured tokens are stored as and presented tokens compared by. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

type Parsed = { ok: true; entries: OperatorToken[] } | { ok: false; reason: string };

/** One `name:token` entry; the reason never quotes the entry, which may hold a token. */
function parseEntry(entry: string, position: number): OperatorToken | string {
  const separator = entry.indexOf(':');
  if (separator === -1) return `entry ${position} must be name:token`;
  const name = entry.slice(0, separator);
  const token = entry.slice(separator + 1);
  if (!operatorNamePattern.test(name)) {
    return `entry ${position} must start with an operator name of 1 to 64 characters a-z, 0-9, ".", "_" or "-"`;
  }
  if (reservedOperatorNames.includes(name)) return `entry ${position} names operator ${name}, a name kept for others`;
  if (token.length < minimumOperatorTokenLength || token.length > maximumOperatorTokenLength) {
    return `entry ${position} (${name}) must have a token of ${minimumOperatorTokenLength} to ${maximumOperatorTokenLength} characters`;
  }
  if (!tokenPattern.test(token)) return `entry ${position} (${name}) must have a token of printable characters without spaces or commas`;
  return { name, token };
}

/** Parses ADMIN_TOKENS: `name:token` pairs separated by commas, whitespace around each pair ignored. */
export function parseAdminTokens(value: string): Parsed {
  const entries: OperatorToken[] = [];
  const parts = value.split(',').map((part) => part.trim());
  for (const [index, part] of parts.entries()) {
    const parsed = parseEntry(part, index + 1);
    if (typeof parsed === 'string') return { ok: false, reason: `${parsed} (format: name:token,name:token)` };
    entries.push(parsed);
  }
  return { ok: true, entries };
}

/**
 * Why the operators of ADMIN_TOKENS and ADMIN_TOKEN cannot be told apart, or null when they can: each
 * name and each token may appear once, across both variables.
 */
export function duplicateOperatorReason(entries: readonly OperatorToken[]): string | null {
  const names = new Set<string>();
  const tokens = new Map<string, string>();
  for (const { name, token } of entries) {
    if (names.has(name)) {
      const why = name === singleTokenOperator ? ` (ADMIN_TOKEN is the operator ${singleTokenOperator})` : '';
      return `names operator ${name} twice${why}`;
    }
    const sharing = tokens.get(token);
    if (sharing !== undefined) return `gives operators ${sharing} and ${name} the same token`;
    names.add(name);
    tokens.set(token, name);
  }
  return null;
}

/** Every operator of the configuration, ADMIN_TOKEN's first, each with the digest of its token. */
export function adminOperatorsOf(adminToken: string | undefined, adminTokens: readonly OperatorToken[]): AdminOperator[] {
  const all = adminToken === undefined ? adminTokens : [{ name: singleTokenOperator, token: adminToken }, ...adminTokens];
  return all.map(({ name, token }) => ({ name, tokenDigest: tokenDigest(token) }));
}
