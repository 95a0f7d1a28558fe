// The bank transfer fields of POST /v1/topups (payment_method "bank_transfer"): who will transfer, and
// the customer's consent. The order itself is created by the one creation path (create-order.ts).
import { z } from 'zod';
import { storedText } from '../validation.ts';

export const maximumRemitterFieldLength = 100;
export const maximumRemarksLength = 200;

/** Text a person typed, kept as typed apart from surrounding spaces. */
function personText(minimumLength: number, maximumLength: number) {
  return storedText(minimumLength, maximumLength, { trim: true });
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
  }).meta(contractOf(schema));
}

/** What the API contract (api/openapi) shows of a field the transform above checks: its schema's JSON Schema. */
function contractOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return jsonSchema;
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
