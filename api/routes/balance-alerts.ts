// Low-balance alerts of the account: PUT /v1/balance-alerts {"thresholds": ["20.00", "5.00"], "email": true}
// and GET /v1/balance-alerts. The events (balance.low, balance.recovered) are written by the ledger's
// trigger of migration 0014 in the transaction that moves the balance across a threshold; an empty
// list turns alerts off.
import { Router } from 'express';
import { z } from 'zod';
import type { BalanceAlertSettings } from '../../db/balance-alerts/balance-alert-settings.ts';
import { getBalanceAlerts } from '../../db/balance-alerts/get-balance-alerts.ts';
import { putBalanceAlerts } from '../../db/balance-alerts/put-balance-alerts.ts';
import { formatMicros } from '../../domain/money.ts';
import { currentAccount } from '../auth.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { currency, money } from '../openapi/objects.ts';
import { defineOperations } from '../openapi/operation.ts';
import { amountSchema, parseBody } from '../validation.ts';

/** Thresholds an account may set. */
export const maximumBalanceAlertThresholds = 10;

const putBody = z.strictObject({
  thresholds: z.array(amountSchema).max(maximumBalanceAlertThresholds),
  email: z.boolean(),
});

function presentBalanceAlerts(settings: BalanceAlertSettings, currency: string) {
  return { thresholds: settings.thresholdsMicros.map(formatMicros), email: settings.email, currency };
}

export function balanceAlertRoutes(dependencies: ApiDependencies): Router {
  const router = Router();
  router.put('/v1/balance-alerts', async (request, response) => {
    const account = currentAccount(response);
    const body = parseBody(putBody, request.body);
    const settings = await putBalanceAlerts(dependencies.sql, account.accountId, { thresholdsMicros: body.thresholds, email: body.email });
    response.json(presentBalanceAlerts(settings, account.currency));
  });
  router.get('/v1/balance-alerts', async (_request, response) => {
    const account = currentAccount(response);
    response.json(presentBalanceAlerts(await getBalanceAlerts(dependencies.sql, account.accountId), account.currency));
  });
  return router;
}

const balanceAlertsObject = z
  .object({
    thresholds: z.array(money).meta({ description: 'balance.low is written when the balance falls below one, balance.recovered when it rises back above it.' }),
    email: z.boolean().meta({ description: 'Whether the account\'s email address also gets a message.' }),
    currency,
  })
  .meta({ id: 'BalanceAlerts' });

/** The contract of these routes (api/openapi). */
export const balanceAlertOperations = defineOperations([
  {
    method: 'put',
    path: '/v1/balance-alerts',
    operationId: 'putBalanceAlerts',
    summary: 'Set the low-balance alert thresholds (an empty list turns alerts off)',
    tag: 'Balance alerts',
    access: 'customer',
    body: { schema: putBody, example: { thresholds: ['20.00', '5.00'], email: true } },
    responses: { 200: { description: 'The alerts as stored.', schema: balanceAlertsObject } },
    errors: ['invalid_amount', 'amount_too_precise', 'amount_too_large'],
  },
  {
    method: 'get',
    path: '/v1/balance-alerts',
    operationId: 'getBalanceAlerts',
    summary: 'The low-balance alert thresholds',
    tag: 'Balance alerts',
    access: 'customer',
    responses: { 200: { description: 'The alerts (none set: an empty list).', schema: balanceAlertsObject } },
  },
]);
