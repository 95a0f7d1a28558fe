// Who an ops action is recorded as (the X-Operator header of an admin request), and why (its reason).
import type { Request } from 'express';
import { z } from 'zod';
import { ApiError } from '../domain/errors.ts';

/** Who an ops action is recorded as without an X-Operator header. */
export const defaultOperator = 'admin';
const maximumOperatorLength = 100;

export function operator(request: Request): string {
  const header = request.get('x-operator');
  if (header === undefined) return defaultOperator;
  const name = header.trim();
  if (name.length === 0 || name.length > maximumOperatorLength || !/^[\x20-\x7e]+$/.test(name)) {
    throw new ApiError('invalid_field', `X-Operator must be 1 to ${maximumOperatorLength} printable ASCII characters.`, 'X-Operator');
  }
  return name;
}

const maximumReasonLength = 500;

/** The reason an operator gives for an action; recorded with it, and shown to the customer where it says so. */
export const reasonText = z
  .string()
  .trim()
  .min(1)
  .max(maximumReasonLength)
  .refine((value) => !value.includes('\u0000'), { message: 'must not contain the NUL character' });
