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
