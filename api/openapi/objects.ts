// The JSON objects of the API contract as zod schemas: what api/presenters.ts and the routes' own
// presenters answer, field by field. The contract (api/openapi/document.ts) and the test suite's check
// of every response read them; a field added to a presenter is added here in the same change.
import { z } from 'zod';
import { errorCodes, type ErrorCode } from '../../domain/errors.ts';
import { currencies } from '../../domain/money.ts';
import { orderStatuses } from '../../domain/orders.ts';
import { paymentMethods } from '../../domain/pricing.ts';
import { promoKinds } from '../../domain/promo-codes.ts';
import { disputeStatuses, refundStatuses } from '../../domain/refunds.ts';
import { defaultPageSize, maximumPageSize } from '../validation.ts';

/** Money in an answer: a decimal string with six decimals, signed where the field says so. */
export const money = z.string().regex(/^-?\d+\.\d{6}$/).meta({ description: 'A decimal string with six decimals.', example: '100.000000' });
export const timestamp = z.string().meta({ format: 'date-time', example: '2026-12-01T12:00:00.000Z' });
export const currency = z.enum(currencies).meta({ id: 'Currency', description: 'An ISO 4217 currency code.' });
export const orderStatus = z.enum(orderStatuses).meta({ id: 'OrderStatus' });
export const paymentMethod = z.enum(paymentMethods).meta({ id: 'PaymentMethod' });
/** How an order is paid: a method a customer chooses, or a saved card charged by auto-recharge. */
export const orderPaymentMethod = z.enum([...paymentMethods, 'auto_recharge']).meta({ id: 'OrderPaymentMethod' });
export const refundStatus = z.enum(refundStatuses).meta({ id: 'RefundStatus' });
export const holdStatus = z.enum(['active', 'captured', 'voided', 'expired']).meta({ id: 'HoldStatus' });

const errorCodeNames = Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]];

export const errorCode = z.enum(errorCodeNames).meta({
  id: 'ErrorCode',
  description: 'The closed list of error codes, each with one HTTP status:\n\n' +
    errorCodeNames.map((code) => `- \`${code}\` (${errorCodes[code].status}): ${errorCodes[code].meaning}`).join('\n'),
});

export const errorObject = z
  .object({
    error: z.object({
      code: errorCode,
      message: z.string().meta({ description: 'A sentence for people; not for matching.' }),
      field: z.string().optional().meta({ description: 'The field at fault, when one is (a dotted path into the body).' }),
    }),
  })
  .meta({ id: 'Error' });

/** A page of a list: newest or oldest first as the route says, with the cursor of the next page. */
export function pageSchema<Item extends z.ZodType>(item: Item) {
  return z.object({
    data: z.array(item),
    next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last.' }),
  });
}

/** The query of a list: `limit` and `cursor`, and the list's own filters. */
export function listQuery<Shape extends z.ZodRawShape>(filters: Shape) {
  return z.object({
    ...filters,
    limit: z.string().regex(/^\d{1,6}$/).optional().meta({
      description: `Items per page, 1 to ${maximumPageSize} (default ${defaultPageSize}).`,
      example: '20',
    }),
    cursor: z.string().max(200).optional().meta({ description: 'The `next_cursor` of the page before.' }),
  });
}

/** A path parameter that names an object by its id; an id of another shape names nothing (404). */
export function idParameter(pattern: RegExp, example: string) {
  return z.object({ id: z.string().regex(pattern).meta({ example }) });
}

export const orderIdParameters = idParameter(/^ord_[0-9a-z]{24}$/, 'ord_0123456789abcdefghijklmn');
export const refundIdParameters = idParameter(/^rfd_[0-9a-z]{24}$/, 'rfd_0123456789abcdefghijklmn');

export const flowObject = z
  .object({
    id: z.string().meta({ example: 'flow_42' }),
    type: z.enum(['recharge', 'consume', 'refund', 'adjustment', 'refund_reversal', 'dispute', 'dispute_reversal', 'hold', 'release']),
    amount: money.meta({ description: 'Signed: positive for money in, negative for money out.', example: '-0.012500' }),
    balance_after: money,
    description: z.string().nullable(),
    user: z.string().nullable(),
    order_id: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    created_at: timestamp,
    refund_id: z.string().nullable(),
  })
  .meta({ id: 'Flow' });

export const bankTransferObject = z
  .object({
    bank_name: z.string(),
    account_name: z.string(),
    account_number: z.string(),
    reference: z.string().meta({ example: 'RF-7KQ4-M2XP' }),
    remitter_name: z.string(),
    remitter_bank_name: z.string(),
    remarks: z.string().nullable(),
  })
  .meta({ id: 'BankTransfer' });

/** What the payer does next: for a pending Alipay or WeChat Pay order, the QR code to scan (api/topups/next-action.ts). */
export const nextActionObject = z
  .object({
    type: z.literal('qr_code'),
    data: z.string().meta({ description: 'The QR code\'s content (weixin://…, https://qr.alipay.com/…, or the sandbox\'s page).', example: 'weixin://wxpay/bizpayurl?pr=Q2x0dWE0d' }),
    image_url: z.string().meta({ description: 'A PNG of the code (GET /payment-qr/{order id}.png); no API key needed.', example: 'https://refill.example/payment-qr/ord_0123456789abcdefghijklmn.png' }),
    expires_at: timestamp.meta({ description: 'When the code stops being payable (the order\'s expiry).' }),
  })
  .meta({ id: 'NextAction' });

/** Set when ops confirmed a bank transfer with a corrected credit (README "Documents that agree with the ledger"). */
export const creditCorrectionObject = z
  .object({
    quoted_credit: money.meta({ description: 'The credit the quote promised.' }),
    amount_received: money.meta({ description: 'What the bank statement showed arriving.' }),
    reason: z.string().meta({ description: 'Why ops corrected the credit.', example: 'paid 650.00 of 700.00' }),
  })
  .meta({ id: 'CreditCorrection' });

const orderFields = {
  id: z.string().meta({ example: 'ord_0123456789abcdefghijklmn' }),
  status: orderStatus,
  payment_method: orderPaymentMethod,
  currency,
  package_id: z.string().nullable(),
  amount: money,
  discount: money,
  pay_amount: money,
  bonus: money,
  credit: money.meta({ description: 'What the ledger credited: the quote\'s credit, or the one ops corrected it to (credit_correction).' }),
  credit_correction: creditCorrectionObject.nullable(),
  promo_code: z.string().nullable(),
  checkout_url: z.string().nullable().meta({ description: 'Only while the order can be paid.' }),
  expires_at: timestamp,
  created_at: timestamp,
  paid_at: timestamp.nullable(),
  credited_at: timestamp.nullable(),
  receipt_url: z.string().nullable(),
  needs_review: z.boolean(),
  failure_reason: z.string().nullable(),
  invoice_number: z.string().nullable(),
  invoice_url: z.string().nullable(),
  bank_transfer: bankTransferObject.nullable(),
  refunded_amount: money,
  refunds: z.array(z.object({ id: z.string(), status: refundStatus, amount: money })),
  next_action: nextActionObject.nullable().meta({ description: 'Alipay and WeChat Pay orders while pending: the QR code to show; else null.' }),
};

export const orderObject = z.object(orderFields).meta({ id: 'Order' });

/** The order as ops see it: with its account and age. */
export const opsOrderFields = { ...orderFields, account_id: z.string(), age_seconds: z.number().int().min(0) };

export const refundFields = {
  id: z.string().meta({ example: 'rfd_0123456789abcdefghijklmn' }),
  order_id: z.string(),
  status: refundStatus,
  amount: money,
  credit_removed: money,
  currency,
  reason: z.string(),
  requested_by: z.enum(['customer', 'ops', 'provider']),
  created_at: timestamp,
  decided_at: timestamp.nullable(),
  succeeded_at: timestamp.nullable(),
  failure_reason: z.string().nullable(),
  decision_reason: z.string().nullable(),
  provider_refund_id: z.string().nullable(),
  credit_note_number: z.string().nullable(),
  credit_note_url: z.string().nullable(),
};

export const refundObject = z.object(refundFields).meta({ id: 'Refund' });

export const opsRefundObject = z
  .object({
    ...refundFields,
    account_id: z.string(),
    requested_by_operator: z.string().nullable(),
    decided_by: z.string().nullable(),
    bank_reference: z.string().nullable(),
    payment_method: orderPaymentMethod,
    transfer_id: z.string().nullable(),
    reversal_transfer_id: z.string().nullable(),
    debt: money,
  })
  .meta({ id: 'OpsRefund' });

export const disputeObject = z
  .object({
    id: z.string(),
    order_id: z.string(),
    account_id: z.string(),
    status: z.enum(disputeStatuses),
    amount: money,
    currency,
    credit_taken: money,
    debt: money,
    provider_reason: z.string().nullable(),
    opened_at: timestamp,
    closed_at: timestamp.nullable(),
  })
  .meta({ id: 'Dispute' });

export const quoteObject = z
  .object({
    currency,
    payment_method: paymentMethod,
    package_id: z.string().nullable(),
    amount: money,
    discount: money,
    pay_amount: money,
    bonus: money,
    credit: money,
    promo: z.object({ code: z.string(), kind: z.enum(promoKinds) }).nullable(),
  })
  .meta({ id: 'Quote' });

export const invoiceObject = z
  .object({
    number: z.string().meta({ example: 'RF-2026-000123' }),
    order_id: z.string(),
    currency,
    amount: money,
    discount: money,
    pay_amount: money,
    bonus: money,
    credit: money,
    issued_at: timestamp,
    email_status: z.enum(['pending', 'sending', 'sent', 'failed']),
    url: z.string().meta({ description: 'Where the PDF is downloaded, with the account\'s API key.' }),
  })
  .meta({ id: 'Invoice' });

export const availableBalanceFields = { balance: money, held: money, available: money };

export const holdFields = {
  id: z.string().meta({ example: 'hold_0123456789abcdefghijklmn' }),
  status: holdStatus,
  amount: money,
  captured_amount: money.nullable(),
  currency,
  user: z.string().nullable(),
  description: z.string(),
  metadata: z.record(z.string(), z.string()),
  expires_at: timestamp,
  created_at: timestamp,
  settled_at: timestamp.nullable(),
};

export const holdObject = z.object(holdFields).meta({ id: 'Hold' });
export const holdWithBalanceObject = z
  .object({ ...holdFields, balance: z.object(availableBalanceFields) })
  .meta({ id: 'HoldWithBalance', description: 'The hold, and the account\'s balance after the operation.' });

/** The PDF of an invoice or credit note. */
export const pdfBody = z.string().meta({ format: 'binary' });

/** A 200 answer of an issued PDF: immutable, so its ETag (its SHA-256) never changes. */
export function pdfResponse(description: string, contentDisposition: string) {
  return {
    description,
    contentType: 'application/pdf',
    schema: pdfBody,
    headers: {
      'Content-Disposition': { description: contentDisposition, schema: z.string() },
      ETag: { description: 'The PDF\'s SHA-256: it never changes.', schema: z.string() },
    },
  };
}
/** An HTML page (the sandbox checkout, the checkout return). */
export const htmlBody = z.string();
