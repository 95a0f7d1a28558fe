// Creating a bank transfer top-up (POST /v1/topups with payment_method "bank_transfer"): the remitter's
// details, the quote, and the order's workflow, which returns the order with the company's bank account
// and the order's transfer reference. Retries with the same Idempotency-Key return the same order.
import { z } from 'zod';
import type { AuthenticatedAccount } from '../../db/accounts/find-account-by-api-key.ts';
import { getOrderRow } from '../../db/orders/get-order.ts';
import { snapshotFromRow } from '../../db/orders/order-row.ts';
import { bankTransferUtcOffsetMinutes, type BankTransferOrderInput } from '../../domain/bank-transfers.ts';
import { ApiError } from '../../domain/errors.ts';
import { orderIdFor } from '../../ids/ids.ts';
import type { OrderSnapshot } from '../../domain/orders.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { orderTermsFromQuote, resolveQuote, type QuoteChoice } from './quote.ts';
import { bankTransferOrderWorkflow } from '../../workflows/bank-transfer-order.ts';
import { startOrderWorkflow } from './order-workflow-calls.ts';

export const maximumRemitterFieldLength = 100;
export const maximumRemarksLength = 200;

/** Text a person typed, kept as typed apart from surrounding spaces; Postgres refuses NUL in text. */
function personText(minimumLength: number, maximumLength: number) {
  return z
    .string()
    .trim()
    .min(minimumLength)
    .max(maximumLength)
    .refine((value) => !value.includes('\u0000'), { message: 'must not contain the NUL character' });
}

/** A field the body must have: missing is `missing_field`, present but wrong is `invalid_field`. */
function required<Schema extends z.ZodType>(schema: Schema) {
  return z.unknown().transform((value, context): z.output<Schema> => {
    if (value === undefined) {
      context.addIssue({ code: 'custom', message: 'is required', params: { errorCode: 'missing_field' } });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const message = parsed.error.issues[0]?.message.replace(/^Invalid input: /, '').toLowerCase() ?? 'is invalid';
    context.addIssue({ code: 'custom', message, params: { errorCode: 'invalid_field' } });
    return z.NEVER;
  });
}

/** The `bank_transfer` object of POST /v1/topups: who will transfer, and the customer's consent. */
export const bankTransferBody = z.strictObject({
  remitter_name: required(personText(1, maximumRemitterFieldLength)),
  bank_name: required(personText(1, maximumRemitterFieldLength)),
  remarks: personText(0, maximumRemarksLength).optional(),
  agreement_accepted: required(z.literal(true, { message: 'must be true: the customer accepts the bank transfer terms' })),
});

export type BankTransferBody = z.output<typeof bankTransferBody>;

/** The bank transfer fields as they enter the request hash; absent for other payment methods. */
export function normalisedBankTransfer(body: BankTransferBody | undefined) {
  if (body === undefined) return {};
  return {
    bank_transfer: {
      remitter_name: body.remitter_name,
      bank_name: body.bank_name,
      remarks: body.remarks === undefined || body.remarks === '' ? null : body.remarks,
      agreement_accepted: body.agreement_accepted,
    },
  };
}

export interface CreateBankTransferTopUp {
  account: AuthenticatedAccount;
  idempotencyKey: string;
  choice: QuoteChoice & { bank_transfer?: BankTransferBody | undefined };
  requestHash: string;
}

export interface CreatedBankTransferTopUp {
  order: OrderSnapshot;
  /** True when the Idempotency-Key had already created this order. */
  replayed: boolean;
}

/** Creates the order (or finds the one this Idempotency-Key created) and returns it with its payment instructions. */
export async function createBankTransferTopUp(
  dependencies: ApiDependencies,
  request: CreateBankTransferTopUp,
): Promise<CreatedBankTransferTopUp> {
  const { sql, pricing, config, temporalClient } = dependencies;
  const { account, choice } = request;
  const orderId = orderIdFor(account.accountId, request.idempotencyKey);
  const existing = await getOrderRow(sql, orderId, account.accountId);
  if (existing !== null && existing.request_hash !== request.requestHash) {
    throw new ApiError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request.');
  }
  if (existing !== null) return { order: snapshotFromRow(existing), replayed: true };

  // The currency's rules first: a USD account is told bank transfers are unavailable, not what is missing.
  const { quote } = await resolveQuote(sql, pricing, account, choice);
  const details = choice.bank_transfer;
  if (details === undefined) throw new ApiError('missing_field', 'bank_transfer is required for a bank transfer top-up.', 'bank_transfer');

  const input: BankTransferOrderInput = {
    orderId,
    accountId: account.accountId,
    customerEmail: account.email,
    requestHash: request.requestHash,
    idempotencyKey: request.idempotencyKey,
    terms: orderTermsFromQuote(quote),
    payee: config.bankTransfers.payee,
    remitter: {
      name: details.remitter_name,
      bankName: details.bank_name,
      remarks: details.remarks === undefined || details.remarks === '' ? null : details.remarks,
    },
    deadlineBusinessDays: config.bankTransfers.deadlineBusinessDays,
    utcOffsetMinutes: bankTransferUtcOffsetMinutes,
    createdAt: new Date().toISOString(),
  };
  const started = await startOrderWorkflow(temporalClient, config.temporal.taskQueue, { workflow: bankTransferOrderWorkflow, input });
  if (started.kind === 'open') return { order: started.order, replayed: false };
  // The workflow had already finished (a retry long after the first request): the row is the order.
  const row = await getOrderRow(sql, orderId, account.accountId);
  if (row === null) throw new Error(`order ${orderId}: its workflow finished without recording it`);
  return { order: snapshotFromRow(row), replayed: true };
}
