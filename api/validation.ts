// Turns untrusted request input into typed values, or an ApiError naming the field and the reason.
import { z } from 'zod';
import { ApiError, type ErrorCode } from '../domain/errors.ts';
import { parsePositiveAmount, type ParseAmountFailure } from '../domain/money.ts';

export const maximumIdempotencyKeyLength = 255;
export const defaultPageSize = 20;
export const maximumPageSize = 100;
export const maximumDescriptionLength = 500;
export const maximumUserReferenceLength = 200;
export const maximumMetadataKeys = 20;
export const maximumMetadataKeyLength = 40;
export const maximumMetadataValueLength = 500;

const amountErrorByReason: Record<ParseAmountFailure, { code: ErrorCode; message: string }> = {
  not_a_string: { code: 'invalid_amount', message: 'must be a decimal string such as "12.50", not a JSON number' },
  malformed: { code: 'invalid_amount', message: 'must be a positive decimal string such as "12.50"' },
  not_positive: { code: 'invalid_amount', message: 'must be greater than zero' },
  too_precise: { code: 'amount_too_precise', message: 'must have at most 6 decimals' },
  too_large: { code: 'amount_too_large', message: 'must be at most 1000000000' },
};

/** A positive money amount: a decimal string in, bigint micro-units out. */
export const amountSchema = z.unknown().transform((value, context) => {
  if (value === undefined) {
    context.addIssue({ code: 'custom', message: 'is required', params: { errorCode: 'missing_field' } });
    return z.NEVER;
  }
  const parsed = parsePositiveAmount(value);
  if (parsed.ok) return parsed.micros;
  const failure = amountErrorByReason[parsed.reason];
  context.addIssue({ code: 'custom', message: failure.message, params: { errorCode: failure.code } });
  return z.NEVER;
}).meta({
  // The API contract (api/openapi) shows what the parser accepts; the transform itself has no JSON Schema.
  type: 'string',
  pattern: '^[0-9]{1,10}(\\.[0-9]{1,6})?$',
  description: 'A positive decimal string with at most 6 decimals (up to 1000000000), never a JSON number.',
  example: '12.50',
});

/** C0 controls (tab and line breaks included), DEL and C1 controls: no field of this API takes them. */
const controlCharacterPattern = /[\u0000-\u001f\u007f-\u009f]/;
/** Half of a surrogate pair without its other half: not Unicode text, and not storable as UTF-8. */
export const loneSurrogatePattern = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why a client's string cannot be text, or null when it can. Postgres refuses NUL in text and jsonb,
 * control characters would forge lines in emails, logs and invoices, and a lone surrogate would be
 * silently replaced on its way to UTF-8. Every body and query of the API is checked with this one rule.
 */
export function textProblem(value: string): string | null {
  if (controlCharacterPattern.test(value)) return 'must not contain control characters';
  if (loneSurrogatePattern.test(value)) return 'must be valid Unicode text (it has a lone surrogate)';
  return null;
}

/** A text field of a body: a string of the given length, without control characters or lone surrogates. */
export function storedText(minimumLength: number, maximumLength: number, options: { trim?: boolean } = {}) {
  const base = options.trim === true ? z.string().trim() : z.string();
  return base
    .min(minimumLength)
    .max(maximumLength)
    .superRefine((value, context) => {
      const problem = textProblem(value);
      if (problem !== null) context.addIssue({ code: 'custom', message: problem, params: { errorCode: 'invalid_field' } });
    });
}

/** A value inside a body, linked to its parent so that its path is built only when it is reported. */
interface BodyNode {
  value: unknown;
  key: string | null;
  parent: BodyNode | null;
}

function pathOf(node: BodyNode | null): string[] {
  const path: string[] = [];
  for (let current = node; current !== null && current.key !== null; current = current.parent) path.unshift(current.key);
  return path;
}

/** One string anywhere in a body: the value it is, or the object whose key it is. */
interface FoundString {
  node: BodyNode;
  value: string;
  isKey: boolean;
}

/** Every string of a parsed JSON body, keys included; iterative, so a deeply nested body cannot overflow the stack. */
function* stringsOf(body: unknown): Generator<FoundString> {
  const pending: BodyNode[] = [{ value: body, key: null, parent: null }];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (typeof node.value === 'string') yield { node, value: node.value, isKey: false };
    if (typeof node.value !== 'object' || node.value === null) continue;
    for (const [key, child] of Object.entries(node.value)) {
      if (!Array.isArray(node.value)) yield { node, value: key, isKey: true };
      pending.push({ value: child, key, parent: node });
    }
  }
}

/** Refuses a body with a string that is not text anywhere in it, naming the field (or, for a key, its object). */
function refuseNonText(body: unknown): void {
  for (const found of stringsOf(body)) {
    const problem = textProblem(found.value);
    if (problem === null) continue;
    const field = pathOf(found.node).join('.');
    if (found.isKey) {
      const where = field === '' ? 'The body' : field;
      throw new ApiError('invalid_field', `${where} has an invalid key: it ${problem}.`, field === '' ? undefined : field);
    }
    throw new ApiError('invalid_field', `${field} ${problem}.`, field);
  }
}

/** String-to-string metadata, bounded like Stripe's. */
export const metadataSchema = z
  .record(storedText(1, maximumMetadataKeyLength), storedText(0, maximumMetadataValueLength))
  .refine((value) => Object.keys(value).length <= maximumMetadataKeys, {
    message: `must have at most ${maximumMetadataKeys} keys`,
  });

/** Validates a JSON body against a strict object schema; the first problem becomes the error. */
export function parseBody<Schema extends z.ZodType>(schema: Schema, body: unknown): z.output<Schema> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError('invalid_request', 'The body must be a JSON object.');
  }
  refuseNonText(body);
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw apiErrorFromIssue(parsed.error.issues[0]!, body as Record<string, unknown>);
}

function apiErrorFromIssue(issue: z.core.$ZodIssue, body: Record<string, unknown>): ApiError {
  const field = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    return new ApiError('invalid_request', `Unknown field "${key}".`, key);
  }
  if (issue.code === 'invalid_key') {
    // The path ends with the offending key, which may be long or unprintable: the error names its record.
    const recordField = issue.path.slice(0, -1).map(String).join('.');
    const reason = issue.issues[0]?.message.replace(/^Invalid input: /, '').toLowerCase() ?? 'invalid';
    return new ApiError('invalid_field', `${recordField} has an invalid key (${reason}).`, recordField);
  }
  if (issue.code === 'custom' && typeof issue.params?.errorCode === 'string') {
    return new ApiError(issue.params.errorCode as ErrorCode, `${field} ${issue.message}.`, field);
  }
  const topLevel = issue.path[0];
  if (issue.code === 'invalid_type' && typeof topLevel === 'string' && issue.path.length === 1 && !(topLevel in body)) {
    return new ApiError('missing_field', `${field} is required.`, field);
  }
  return new ApiError('invalid_field', `${field} ${issue.message.replace(/^Invalid input: /, '').toLowerCase()}.`, field);
}

const idempotencyKeyPattern = /^[\x21-\x7e]+$/;

/** The Idempotency-Key header: required, printable ASCII without spaces, bounded. */
export function parseIdempotencyKey(header: string | undefined): string {
  if (header === undefined) {
    throw new ApiError('idempotency_key_required', 'Send an Idempotency-Key header, unique per intended operation.');
  }
  if (header.length === 0 || header.length > maximumIdempotencyKeyLength || !idempotencyKeyPattern.test(header)) {
    throw new ApiError(
      'idempotency_key_invalid',
      `The Idempotency-Key must be 1 to ${maximumIdempotencyKeyLength} printable ASCII characters without spaces.`,
    );
  }
  return header;
}

/**
 * Refuses a query string with a value that is not text, naming the parameter. The routes' own parsers
 * accept closed lists and patterns only; this keeps the rule the same for every route, present and future.
 */
export function refuseNonTextQuery(query: Record<string, unknown>): void {
  for (const found of stringsOf(query)) {
    const problem = textProblem(found.value);
    if (problem === null) continue;
    const name = found.isKey ? undefined : pathOf(found.node)[0];
    throw new ApiError('invalid_query_parameter', `${name ?? 'A query parameter name'} ${problem}.`, name);
  }
}

/** The `limit` query parameter: 1 to maximumPageSize, defaultPageSize when absent. */
export function parseLimit(value: unknown): number {
  if (value === undefined) return defaultPageSize;
  if (typeof value !== 'string' || !/^\d{1,6}$/.test(value) || Number(value) < 1 || Number(value) > maximumPageSize) {
    throw new ApiError('invalid_query_parameter', `limit must be a whole number from 1 to ${maximumPageSize}.`, 'limit');
  }
  return Number(value);
}

/** One optional query parameter drawn from a closed list. */
export function parseChoice<Choice extends string>(
  name: string,
  value: unknown,
  choices: readonly Choice[],
): Choice | null {
  if (value === undefined) return null;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as Choice;
  throw new ApiError('invalid_query_parameter', `${name} must be one of ${choices.join(', ')}.`, name);
}

/**
 * Opaque pagination cursors: the position of the last item of a page, base64url-encoded with a kind tag
 * so a cursor from one list is refused by another. A kind that names the list's owner (such as
 * `flow:<account id>`) makes another account's cursor foreign too.
 */
export function encodeCursor(kind: string, position: string): string {
  return Buffer.from(`${kind}:${position}`, 'utf8').toString('base64url');
}

/** Cursors are far shorter; a longer value is refused before it is decoded. */
const maximumCursorLength = 200;

const invalidCursor = () =>
  new ApiError('invalid_cursor', 'cursor must be a next_cursor value returned by this list.', 'cursor');

export function decodeCursor(kind: string, value: unknown, positionPattern: RegExp): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > maximumCursorLength || !/^[A-Za-z0-9_-]+$/.test(value)) {
    throw invalidCursor();
  }
  const decoded = Buffer.from(value, 'base64url').toString('utf8');
  // Base64 decoding skips stray characters; only the exact encoding of a cursor is one.
  if (Buffer.from(decoded, 'utf8').toString('base64url') !== value) throw invalidCursor();
  const prefix = `${kind}:`;
  if (!decoded.startsWith(prefix) || !positionPattern.test(decoded.slice(prefix.length))) throw invalidCursor();
  return decoded.slice(prefix.length);
}

/** The largest Postgres bigint: a position above it names no row, and would fail the query instead. */
const maximumRowId = 9_223_372_036_854_775_807n;

/** A cursor whose position is a row id (a Postgres bigint identity). */
export function decodeRowIdCursor(kind: string, value: unknown): bigint | null {
  const position = decodeCursor(kind, value, /^\d{1,19}$/);
  if (position === null) return null;
  const rowId = BigInt(position);
  if (rowId > maximumRowId) throw invalidCursor();
  return rowId;
}

/**
 * A list's response from rows fetched with `limit + 1`: the extra row only tells that there is a next
 * page, whose cursor is the position of this page's last row.
 */
export function pageOf<Row, Item>(
  rows: Row[],
  limit: number,
  present: (row: Row) => Item,
  cursor: { kind: string; position: (row: Row) => bigint },
): { data: Item[]; next_cursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    data: page.map(present),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(cursor.kind, cursor.position(last).toString()) : null,
  };
}
