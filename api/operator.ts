// Who an ops action is recorded as (the operator of the request's admin token), and why (its reason).
// The X-Operator header no longer decides who acted: a request that sends it must name the operator of
// its token, or it is refused, because a client that relies on the header would otherwise record the
// wrong person without noticing.
import type { NextFunction, Request, Response } from 'express';
import { operatorNamePattern } from '../config/admin-operators.ts';
import { ApiError } from '../domain/errors.ts';
import { storedText, textProblem } from './validation.ts';

/** The operator of an /admin request, as requireAdmin (api/auth.ts) authenticated it. */
export function operator(request: Request): string {
  const name: unknown = request.res?.locals.operator;
  if (typeof name !== 'string') throw new Error('operator used on a route without requireAdmin');
  return name;
}

/**
 * The X-Operator header's text. HTTP headers are Latin-1 on the wire, so a name outside ASCII is sent
 * percent-encoded UTF-8, either bare (`%E5%BC%A0%E4%BC%9F`) or RFC 8187 style (`UTF-8''%E5%BC%A0%E4%BC%9F`);
 * both are decoded. Null when the encoding is broken or the text has control characters.
 */
export function decodeOperatorHeader(header: string): string | null {
  const extended = /^utf-8''(.*)$/i.exec(header.trim());
  const encoded = extended?.[1] ?? header.trim();
  let decoded: string;
  try {
    decoded = extended !== null || encoded.includes('%') ? decodeURIComponent(encoded) : encoded;
  } catch {
    return null;
  }
  return textProblem(decoded) === null ? decoded.trim() : null;
}

/** Refuses an X-Operator header that names anyone but the operator of the token. */
export function refuseOtherOperator(request: Request, _response: Response, next: NextFunction): void {
  const header = request.get('x-operator');
  if (header === undefined) return next();
  const name = decodeOperatorHeader(header);
  if (name === null || !operatorNamePattern.test(name)) {
    throw new ApiError(
      'invalid_field',
      'X-Operator must be an operator name: 1 to 64 lower-case letters (any script), digits, ".", "_" or "-"; send other than ASCII as percent-encoded UTF-8 (UTF-8\'\'%E5%BC%A0).',
      'X-Operator',
    );
  }
  if (name !== operator(request)) {
    throw new ApiError('forbidden', 'X-Operator names another operator than the token\'s; actions are recorded as the operator of the token.');
  }
  next();
}

const maximumReasonLength = 500;

/** The reason an operator gives for an action; recorded with it, and shown to the customer where it says so. */
export const reasonText = storedText(1, maximumReasonLength, { trim: true });
