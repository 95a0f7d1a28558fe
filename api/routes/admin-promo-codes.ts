// POST /admin/promo-codes creates a promo code; GET /admin/promo-codes/:code shows it with its usage.
import { Router } from 'express';
import { z } from 'zod';
import { createPromoCode } from '../../db/promo-codes/create-promo-code.ts';
import { findPromoCode } from '../../db/promo-codes/find-promo-code.ts';
import type { PromoCodeRow } from '../../db/promo-codes/promo-code-row.ts';
import { ApiError } from '../../domain/errors.ts';
import { currencies, currencyExponents, formatMicros, isWholeMinorUnits } from '../../domain/money.ts';
import { percentFromBasisPoints } from '../../domain/pricing-math.ts';
import { normalizePromoCode, promoCodePattern, promoKinds } from '../../domain/promo-codes.ts';
import { setAuditTarget } from '../admin-audit.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { currency, money, timestamp } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import { amountSchema, parseBody, storedText } from '../validation.ts';

const maximumPromoCodeDescriptionLength = 500;

const createPromoCodeBody = z
  .strictObject({
    code: storedText(1, 100).transform(normalizePromoCode).pipe(z.string().regex(promoCodePattern, { message: 'must be 3 to 40 letters, digits, _ or -' })),
    kind: z.enum(promoKinds),
    /** Percent kinds: "10" or "12.5" (percent, at most 2 decimals). Fixed kinds: an amount. */
    percent: storedText(1, 10).regex(/^\d{1,3}(\.\d{1,2})?$/, { message: 'must be a percentage such as "10" or "12.5"' }).optional(),
    amount: amountSchema.optional(),
    currency: z.enum(currencies),
    min_amount: amountSchema.optional(),
    expires_at: z.iso.datetime({ offset: true }).optional(),
    max_redemptions: z.number().int().min(1).max(1_000_000_000).optional(),
    max_redemptions_per_account: z.number().int().min(1).max(1_000_000).optional(),
    description: storedText(0, maximumPromoCodeDescriptionLength).optional(),
  })
  .superRefine((body, context) => {
    const percentKind = body.kind.endsWith('_percent');
    if (percentKind && body.percent === undefined) context.addIssue({ code: 'custom', path: ['percent'], message: 'is required for this kind' });
    if (!percentKind && body.amount === undefined) context.addIssue({ code: 'custom', path: ['amount'], message: 'is required for this kind' });
    if (percentKind && body.percent !== undefined && (Number(body.percent) <= 0 || Number(body.percent) > 100)) {
      context.addIssue({ code: 'custom', path: ['percent'], message: 'must be above 0 and at most 100' });
    }
    if (body.kind === 'discount_fixed' && body.amount !== undefined && !isWholeMinorUnits(body.amount, body.currency)) {
      const decimals = currencyExponents[body.currency];
      context.addIssue({ code: 'custom', path: ['amount'], message: `must have at most ${decimals} decimals for a discount` });
    }
  });

/** "12.5" percent → 1250 basis points, without going through a float. */
function basisPointsFromPercent(percent: string): bigint {
  const [whole, fraction = ''] = percent.split('.');
  return BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0'));
}

function presentPromoCode(row: PromoCodeRow, usage?: { reserved: number; redeemed: number }) {
  const percentKind = row.kind.endsWith('_percent');
  return {
    code: row.code,
    kind: row.kind,
    percent: percentKind ? percentFromBasisPoints(row.value) : null,
    amount: percentKind ? null : formatMicros(row.value),
    currency: row.currency,
    min_amount: formatMicros(row.minimum_amount_micros),
    expires_at: row.expires_at?.toISOString() ?? null,
    max_redemptions: row.maximum_redemptions,
    max_redemptions_per_account: row.maximum_redemptions_per_account,
    description: row.description,
    created_at: row.created_at.toISOString(),
    ...(usage === undefined ? {} : { usage }),
  };
}

export function adminPromoCodeRoutes(dependencies: ApiDependencies): Router {
  const router = Router();
  router.post('/admin/promo-codes', async (request, response) => {
    const body = parseBody(createPromoCodeBody, request.body);
    // Named before it is created, so that a refused duplicate is found under the code it tried to take.
    setAuditTarget(response, body.code);
    const percentKind = body.kind.endsWith('_percent');
    const result = await createPromoCode(dependencies.sql, {
      code: body.code,
      kind: body.kind,
      value: percentKind ? basisPointsFromPercent(body.percent!) : body.amount!,
      currency: body.currency,
      minimumAmountMicros: body.min_amount ?? 0n,
      expiresAt: body.expires_at === undefined ? null : new Date(body.expires_at),
      maximumRedemptions: body.max_redemptions ?? null,
      maximumRedemptionsPerAccount: body.max_redemptions_per_account ?? null,
      description: body.description ?? null,
    });
    if (!result.ok) throw new ApiError('promo_code_exists', `Promo code ${body.code} already exists.`, 'code');
    dependencies.logger.info({ code: body.code, kind: body.kind }, 'promo code created');
    response.status(201).json(presentPromoCode(result.row));
  });

  router.get('/admin/promo-codes/:code', async (request, response) => {
    const code = normalizePromoCode(String(request.params.code));
    // A code of the wrong shape names no promo code: the same 404, without a query.
    if (!promoCodePattern.test(code)) throw new ApiError('not_found', 'No such promo code.');
    const found = await findPromoCode(dependencies.sql, code, null);
    if (found === null) throw new ApiError('not_found', `No promo code ${code}.`);
    response.json(
      presentPromoCode(found.row, { reserved: found.activeReservations - found.redeemed, redeemed: found.redeemed }),
    );
  });
  return router;
}

const promoCodeFields = {
  code: z.string().meta({ example: 'WELCOME10' }),
  kind: z.enum(promoKinds),
  percent: z.string().nullable(),
  amount: money.nullable(),
  currency,
  min_amount: money,
  expires_at: timestamp.nullable(),
  max_redemptions: z.number().int().nullable(),
  max_redemptions_per_account: z.number().int().nullable(),
  description: z.string().nullable(),
  created_at: timestamp,
};

/** The contract of these routes (api/openapi). */
export const adminPromoCodeOperations = defineOperations([
  {
    method: 'post',
    path: '/admin/promo-codes',
    operationId: 'createPromoCode',
    summary: 'Create a promo code',
    tag: 'Ops: promo codes',
    access: 'admin',
    body: { schema: createPromoCodeBody, example: { code: 'WELCOME10', kind: 'bonus_percent', percent: '10', currency: 'USD', max_redemptions_per_account: 1 } },
    responses: { 201: { description: 'The promo code.', schema: z.object(promoCodeFields).meta({ id: 'PromoCode' }) } },
    errors: ['promo_code_exists', 'invalid_amount', 'amount_too_precise', 'amount_too_large'],
  },
  {
    method: 'get',
    path: '/admin/promo-codes/:code',
    operationId: 'getPromoCode',
    summary: 'A promo code and its usage',
    tag: 'Ops: promo codes',
    access: 'admin',
    pathParameters: z.object({ code: z.string().min(1).max(100).meta({ example: 'WELCOME10' }) }),
    responses: {
      200: {
        description: 'The code; `reserved` counts open orders holding it, `redeemed` the credited ones.',
        schema: z.object({ ...promoCodeFields, usage: z.object({ reserved: z.number().int(), redeemed: z.number().int() }) }).meta({ id: 'PromoCodeWithUsage' }),
      },
    },
  },
]);
