// Automatic recharge settings: PUT /v1/auto-recharge and GET /v1/auto-recharge, and ops' list
// GET /admin/auto-recharges?state=. The API writes the settings (a new version per change, with the
// consent the caller gives when enabling); the account's workflow writes the status it derives from.
import { WorkflowNotFoundError } from '@temporalio/client';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AutoRechargeView } from '../../db/auto-recharge/auto-recharge-settings.ts';
import { getAutoRecharge } from '../../db/auto-recharge/get-auto-recharge.ts';
import { listAutoRechargesForOps } from '../../db/auto-recharge/list-auto-recharges-for-ops.ts';
import { putAutoRechargeSettings } from '../../db/auto-recharge/put-auto-recharge-settings.ts';
import { getPaymentMethod, listPaymentMethods } from '../../db/payment-methods/list-payment-methods.ts';
import {
  autoRechargeStates,
  autoRechargeWorkflowId,
  type AutoRechargeState,
  defaultCooldownSeconds,
  defaultMaximumPerDay,
  maximumCooldownSeconds,
  maximumMaximumPerDay,
  minimumCooldownSeconds,
  settingsChangedSignal,
} from '../../domain/auto-recharge.ts';
import { ApiError } from '../../domain/errors.ts';
import { formatMicros, type Currency } from '../../domain/money.ts';
import type { Pricing } from '../../domain/pricing.ts';
import { currentAccount } from '../auth.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { thresholdWatch } from '../auto-recharge/threshold-watch.ts';
import { currency, listQuery, money, timestamp } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import { amountSchema, parseBody, parseChoice, parseLimit, storedText } from '../validation.ts';

const signalDeadlineMilliseconds = 5_000;
const maximumUserAgentLength = 500;
/** An IPv4 or IPv6 address as text; its form is checked, not whether it routes. */
const ipAddress = storedText(2, 64).refine((value) => /^[0-9A-Fa-f:.]+$/.test(value), { message: 'must be an IPv4 or IPv6 address' });

const putBody = z.strictObject({
  enabled: z.boolean(),
  threshold: amountSchema,
  amount: amountSchema.optional(),
  target_balance: amountSchema.optional(),
  payment_method_id: storedText(1, 255).nullable().optional(),
  monthly_limit: amountSchema,
  cooldown_seconds: z.number().int().min(minimumCooldownSeconds).max(maximumCooldownSeconds).optional(),
  maximum_per_day: z.number().int().min(1).max(maximumMaximumPerDay).optional(),
  consent: z
    .strictObject({ ip_address: ipAddress.optional(), user_agent: storedText(1, maximumUserAgentLength).optional() })
    .optional()
    .meta({
      description:
        'Required to enable. With an API key send both fields, as your site saw the customer; from the billing portal (a portal session) a field left out is taken from the request itself.',
    }),
});
type PutBody = z.output<typeof putBody>;
interface Consent {
  ip: string;
  userAgent: string;
}

const autoRechargeState = z.enum(autoRechargeStates as [AutoRechargeState, ...AutoRechargeState[]]).meta({ id: 'AutoRechargeState' });

/** The settings and status as presentAutoRecharge answers them. */
const autoRechargeObject = z
  .object({
    account_id: z.string(),
    enabled: z.boolean(),
    currency,
    threshold: money.meta({ description: 'A recharge starts when the balance falls below it.' }),
    amount: money.nullable().meta({ description: 'What one recharge charges; null when target_balance is set.' }),
    target_balance: money.nullable().meta({ description: 'The balance one recharge tops up to; null when amount is set.' }),
    payment_method_id: z.string().nullable().meta({ description: 'The card charged; null for the default card.' }),
    monthly_limit: money,
    cooldown_seconds: z.number().int(),
    maximum_per_day: z.number().int(),
    state: autoRechargeState,
    paused_reason: z.string().nullable().meta({ description: 'Why it is paused or was switched off, for people.' }),
    last_attempt: z
      .object({
        time: timestamp,
        outcome: z.enum(['succeeded', 'declined', 'authentication_required', 'failed', 'skipped']),
        amount: money.nullable(),
        decline_code: z.string().nullable(),
      })
      .nullable(),
    consecutive_failures: z.number().int().min(0),
    spent_this_month: money,
    consent: z.object({ time: timestamp, ip_address: z.string().nullable(), user_agent: z.string().nullable() }).nullable(),
    settings_version: z.number().int(),
    updated_at: timestamp,
  })
  .meta({ id: 'AutoRecharge' });

export function presentAutoRecharge(view: AutoRechargeView) {
  return {
    account_id: view.accountId,
    enabled: view.enabled,
    currency: view.currency,
    threshold: formatMicros(view.thresholdMicros),
    amount: view.amountMicros === null ? null : formatMicros(view.amountMicros),
    target_balance: view.targetBalanceMicros === null ? null : formatMicros(view.targetBalanceMicros),
    payment_method_id: view.paymentMethodId,
    monthly_limit: formatMicros(view.monthlyLimitMicros),
    cooldown_seconds: view.cooldownSeconds,
    maximum_per_day: view.maximumPerDay,
    state: view.state,
    paused_reason: view.pausedReason,
    last_attempt:
      view.lastAttempt === null
        ? null
        : {
            time: view.lastAttempt.at.toISOString(),
            outcome: view.lastAttempt.outcome,
            amount: view.lastAttempt.amountMicros === null ? null : formatMicros(view.lastAttempt.amountMicros),
            decline_code: view.lastAttempt.declineCode,
          },
    consecutive_failures: view.consecutiveFailures,
    spent_this_month: formatMicros(view.spentThisMonthMicros),
    consent: view.consent === null ? null : { time: view.consent.at.toISOString(), ip_address: view.consent.ip, user_agent: view.consent.userAgent },
    settings_version: view.version,
    updated_at: view.updatedAt.toISOString(),
  };
}

/**
 * The consent to record, or null when none was sent. A platform's server must say what its site saw; the
 * billing portal's own page talks to the API directly, so for a portal session (api/auth.ts) the request's
 * own address and user agent are the customer's, and a field it leaves out is taken from there.
 */
function consentOf(request: Request, response: Response, body: PutBody): Consent | null {
  if (body.consent === undefined) return null;
  const fromRequest = response.locals.portalSession === true;
  const ip = body.consent.ip_address ?? (fromRequest ? requestAddress(request) : undefined);
  const userAgent = body.consent.user_agent ?? (fromRequest ? request.get('user-agent')?.slice(0, maximumUserAgentLength) : undefined);
  if (ip === undefined || !ipAddress.safeParse(ip).success) {
    throw new ApiError(fromRequest ? 'consent_required' : 'invalid_field', 'consent.ip_address is required: the customer\'s IP address as your site saw it.', 'consent.ip_address');
  }
  if (userAgent === undefined || !storedText(1, maximumUserAgentLength).safeParse(userAgent).success) {
    throw new ApiError(fromRequest ? 'consent_required' : 'invalid_field', 'consent.user_agent is required: the customer\'s browser user agent as your site saw it.', 'consent.user_agent');
  }
  return { ip, userAgent };
}

/** The caller's address (after TRUST_PROXY_HOPS), without the IPv4-mapped prefix Node gives IPv4 peers. */
function requestAddress(request: Request): string | undefined {
  return (request.ip ?? request.socket.remoteAddress)?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

/** The settings against the card method's limits of the account's currency (config/pricing.json). */
function checkAgainstPricing(body: PutBody, pricing: Pricing, currency: Currency): void {
  if ((body.amount === undefined) === (body.target_balance === undefined)) {
    throw new ApiError('invalid_request', 'Send exactly one of amount and target_balance.', body.amount === undefined ? 'amount' : 'target_balance');
  }
  const limits = pricing[currency].paymentMethods.stripe;
  if (limits === undefined) throw new ApiError('payment_method_unavailable', `Cards are not offered for ${currency}.`);
  // What one recharge can charge at most: the amount, or the target balance (reached from an empty balance).
  const charge = body.amount ?? body.target_balance!;
  const field = body.amount === undefined ? 'target_balance' : 'amount';
  if (body.amount !== undefined && charge < limits.minimumMicros) {
    throw new ApiError('amount_below_minimum', `amount must be at least ${formatMicros(limits.minimumMicros)} ${currency}.`, field);
  }
  if (charge > limits.maximumMicros) throw new ApiError('amount_above_maximum', `${field} must be at most ${formatMicros(limits.maximumMicros)} ${currency}.`, field);
  if (body.target_balance !== undefined && body.target_balance - body.threshold < limits.minimumMicros) {
    throw new ApiError('invalid_field', `target_balance must be above the threshold by at least the minimum charge (${formatMicros(limits.minimumMicros)} ${currency}).`, 'target_balance');
  }
  if (body.monthly_limit < (body.amount ?? limits.minimumMicros)) {
    throw new ApiError('invalid_field', 'monthly_limit must allow at least one recharge.', 'monthly_limit');
  }
}

/** The card auto-recharge will charge: the one named, or the default; refused when there is none. */
async function checkPaymentMethod(dependencies: ApiDependencies, accountId: string, body: PutBody): Promise<void> {
  const named = body.payment_method_id ?? null;
  if (named !== null) {
    const method = await getPaymentMethod(dependencies.sql, accountId, named);
    if (method === null || method.detachedAt !== null) throw new ApiError('payment_method_not_found', 'No such saved card.', 'payment_method_id');
    return;
  }
  if (body.enabled && !(await listPaymentMethods(dependencies.sql, accountId)).some((method) => method.isDefault)) {
    throw new ApiError('payment_method_required', 'Save a card first: the account has no default card.', 'payment_method_id');
  }
}

/**
 * Wakes the account's workflow with the new settings (starting it when enabled, so a balance already
 * below the threshold recharges); a workflow the customer switched off only needs to hear it if it runs.
 */
async function notifyWorkflow(dependencies: ApiDependencies, accountId: string, version: number, enabled: boolean): Promise<void> {
  const client = dependencies.temporalClient;
  try {
    if (enabled) return await thresholdWatch(dependencies).wake(accountId, version);
    await client.withDeadline(Date.now() + signalDeadlineMilliseconds, () =>
      client.workflow.getHandle(autoRechargeWorkflowId(accountId)).signal(settingsChangedSignal, { version }),
    );
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return;
    // The workflow reads the settings before every attempt anyway: a lost signal only delays what it learns.
    dependencies.logger.warn({ err: error, accountId }, 'auto-recharge settings change not signalled');
  }
}

export function autoRechargeRoutes(dependencies: ApiDependencies): Router {
  const router = Router();

  router.put('/v1/auto-recharge', async (request, response) => {
    const account = currentAccount(response);
    const body = parseBody(putBody, request.body);
    checkAgainstPricing(body, dependencies.pricing, account.currency);
    const consent = consentOf(request, response, body);
    if (body.enabled && consent === null) throw new ApiError('consent_required', 'Enabling auto-recharge needs consent.', 'consent');
    await checkPaymentMethod(dependencies, account.accountId, body);
    const cooldownSeconds = body.cooldown_seconds ?? defaultCooldownSeconds;
    const maximumPerDay = body.maximum_per_day ?? defaultMaximumPerDay;
    const agreed = {
      threshold: formatMicros(body.threshold),
      amount: body.amount === undefined ? null : formatMicros(body.amount),
      target_balance: body.target_balance === undefined ? null : formatMicros(body.target_balance),
      payment_method_id: body.payment_method_id ?? null,
      monthly_limit: formatMicros(body.monthly_limit),
      cooldown_seconds: cooldownSeconds,
      maximum_per_day: maximumPerDay,
      currency: account.currency,
    };
    const stored = await putAutoRechargeSettings(dependencies.sql, {
      accountId: account.accountId,
      enabled: body.enabled,
      currency: account.currency,
      thresholdMicros: body.threshold,
      amountMicros: body.amount ?? null,
      targetBalanceMicros: body.target_balance ?? null,
      paymentMethodId: body.payment_method_id ?? null,
      monthlyLimitMicros: body.monthly_limit,
      cooldownSeconds,
      maximumPerDay,
      consent: consent === null ? null : { ...consent, settings: agreed },
    });
    await notifyWorkflow(dependencies, account.accountId, stored.view.version, body.enabled);
    response.json(presentAutoRecharge(stored.view));
  });

  router.get('/v1/auto-recharge', async (_request, response) => {
    const account = currentAccount(response);
    const view = await getAutoRecharge(dependencies.sql, account.accountId);
    if (view === null) throw new ApiError('not_found', 'Auto-recharge was never set up for this account.');
    response.json(presentAutoRecharge(view));
  });

  router.get('/admin/auto-recharges', async (request, response) => {
    const state = parseChoice('state', request.query.state, autoRechargeStates);
    const limit = parseLimit(request.query.limit);
    const views = await listAutoRechargesForOps(dependencies.sql, state, limit);
    response.json({ data: views.map(presentAutoRecharge) });
  });

  return router;
}

const adminListQuery = listQuery({ state: autoRechargeState.optional() }).omit({ cursor: true });
const amountErrors = ['invalid_amount', 'amount_too_precise', 'amount_too_large'] as const;

/** The contract of these routes (api/openapi). */
export const autoRechargeOperations = defineOperations([
  {
    method: 'put',
    path: '/v1/auto-recharge',
    operationId: 'putAutoRecharge',
    summary: 'Set the automatic recharge: charge a saved card when the balance falls below a threshold',
    description:
      'Send exactly one of amount and target_balance. Enabling needs consent (the customer\'s IP address and user agent as your site saw them) and a card: payment_method_id, or the default card. Each change is a new settings_version.',
    tag: 'Auto-recharge',
    access: 'customer',
    body: {
      schema: putBody,
      example: { enabled: true, threshold: '10.00', amount: '50.00', monthly_limit: '200.00', cooldown_seconds: 600, maximum_per_day: 5, consent: { ip_address: '203.0.113.9', user_agent: 'Mozilla/5.0' } },
    },
    responses: { 200: { description: 'The settings as stored, with the status.', schema: autoRechargeObject } },
    errors: [...amountErrors, 'payment_method_unavailable', 'amount_below_minimum', 'amount_above_maximum', 'consent_required', 'payment_method_not_found', 'payment_method_required'],
  },
  {
    method: 'get',
    path: '/v1/auto-recharge',
    operationId: 'getAutoRecharge',
    summary: 'The automatic recharge\'s settings and status (not_found when never set up)',
    tag: 'Auto-recharge',
    access: 'customer',
    responses: { 200: { description: 'The settings and status.', schema: autoRechargeObject } },
  },
  {
    method: 'get',
    path: '/admin/auto-recharges',
    operationId: 'listAutoRechargesForOps',
    summary: 'Every account\'s automatic recharge, optionally in one state',
    tag: 'Ops: auto-recharge',
    access: 'admin',
    query: adminListQuery,
    responses: { 200: { description: 'The automatic recharges.', schema: z.object({ data: z.array(autoRechargeObject) }) } },
  },
]);
