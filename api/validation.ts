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
});

/**
 * A client's text that will be stored: Postgres refuses the NUL character in text and jsonb, so it is
 * refused here as a client mistake instead of failing the insert.
 */
export function storedText(minimumLength: number, maximumLength: number) {
  return z
    .string()
    .min(minimumLength)
    .max(maximumLength)
    .refine((value) => !value.includes('\u0000'), {
      message: 'must not contain the NUL character',
      params: { errorCode: 'invalid_field' },
    });
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
