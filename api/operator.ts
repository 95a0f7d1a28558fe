// Who an ops action is recorded as (the operator of the request's admin token), and why (its reason).
// The X-Operator header no longer decides who acted: a request that sends it must name the operator of
// its token, or it is refused, because a client that relies on the header would otherwise record the
// wrong person without noticing.
import type { NextFunction, Request, Response } from 'express';
import { operatorNamePattern } from '../config/admin-operators.ts';
import { ApiError } from '../domain/errors.ts';
import { storedText } from './validation.ts';

/** The operator of an /admin request, as requireAdmin (api/auth.ts) authenticated it. */
export function operator(request: Request): string {
  const name: unknown = request.res?.locals.operator;
  if (typeof name !== 'string') throw new Error('operator used on a route without requireAdmin');
  return name;
}

/** Refuses an X-Operator header that names anyone but the operator of the token. */
export function refuseOtherOperator(request: Request, _response: Response, next: NextFunction): void {
  const header = request.get('x-operator');
  if (header === undefined) return next();
  const name = header.trim();
  if (!operatorNamePattern.test(name)) {
    throw new ApiError('invalid_field', 'X-Operator must be an operator name: 1 to 64 characters a-z, 0-9, ".", "_" or "-".', 'X-Operator');
  }
  if (name !== operator(request)) {
    throw new ApiError('forbidden', 'X-Operator names another operator than the token\'s; actions are recorded as the operator of the token.');
  }
  next();
}

const maximumReasonLength = 500;

/** The reason an operator gives for an action; recorded with it, and shown to the customer where it says so. */
export const reasonText = storedText(1, maximumReasonLength, { trim: true });
