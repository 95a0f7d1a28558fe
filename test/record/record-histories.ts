// `npm run histories:record`: runs each kind of workflow through its main paths on the real stack (the
// API, a worker, Temporal, Postgres, stripe-mock) and writes their event histories to
// test/fixtures/histories/<workflow type>/<scenario>.json, which test/replay.test.ts replays against the
// current code. Run it after adding a workflow type or a path worth guarding; never to make a failing
// replay pass (that failure means running workflows would break: put the change behind patched()).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { repositoryRoot, temporalCliPath } from '../../dev/tools.ts';
import type { BankTransferOrderInput } from '../../domain/bank-transfers.ts';
import { bankTransferUtcOffsetMinutes } from '../../domain/bank-transfers.ts';
import { orderWorkflowId, type StripeCheckoutOrderInput } from '../../domain/orders.ts';
import { paymentExceptionIdFor, workflowIdOfPaymentException } from '../../domain/payment-exceptions.ts';
import { orderIdFor, randomToken } from '../../ids/ids.ts';
import { disputeWorkflowId, refundWorkflowId } from '../../domain/refunds.ts';
import { startOrderWorkflow } from '../../api/topups/order-workflow-calls.ts';
import { testAdminToken, createTestAccount } from '../support/api.ts';
import { testTemporalAddress } from '../support/environment.ts';
import { eventually } from '../support/eventually.ts';
import { createPendingOrder, paidEvent, sessionIdOf } from '../support/orders.ts';
import { completeSandboxSession } from '../../db/sandbox/sandbox-sessions.ts';
import { reconciliationBatchSize } from '../../domain/reconciliation.ts';
import { sendWebhook, startTestPipeline, waitForOrder, waitForOrderWorkflow, type OrderJson, type TestPipeline } from '../support/pipeline.ts';

import { autoRechargeWorkflowId } from '../../domain/auto-recharge.ts';
import { fundAccountDirectly } from '../support/ledger.ts';
import { saveSandboxCard } from '../support/saved-cards.ts';

const historiesDirectory = path.join(repositoryRoot, 'test/fixtures/histories');

const pipeline = await startTestPipeline();
const { api } = pipeline;
const client = api.temporalClient;
const admin = { token: testAdminToken };

/**
 * Order histories recorded since the lean path (workflows/order-run.ts, leanOrderPatch) are written under
 * <scenario>-v2, hosted checkout orders' since leanCheckoutPatch (workflows/order-steps.ts) under
 * <scenario>-v3 and since wholePaperworkPatch under <scenario>-v4, so the histories of each path before
 * stay as they were recorded and all are replayed.
 */
const currentPathSuffix: Record<string, string> = { stripeCheckoutOrder: '-v4', bankTransferOrder: '-v2' };

async function write(workflowType: string, recordedScenario: string, workflowId: string): Promise<void> {
  const scenario = `${recordedScenario}${currentPathSuffix[workflowType] ?? ''}`;
  const handle = client.workflow.getHandle(workflowId);
  await handle.result();
  // The CLI writes the history as proto3 JSON, the form Temporal's replayer and UI read.
  const { stdout } = await promisify(execFile)(
    temporalCliPath(process.env),
    ['workflow', 'show', '--workflow-id', workflowId, '--address', testTemporalAddress(), '--output', 'json'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const directory = path.join(historiesDirectory, workflowType);
  await mkdir(directory, { recursive: true });
  await writeFile(path.join(directory, `${scenario}.json`), stdout.endsWith('\n') ? stdout : `${stdout}\n`);
  console.log(`recorded ${workflowType}/${scenario} (${(JSON.parse(stdout) as { events: unknown[] }).events.length} events)`);
}

async function stripeScenarios(): Promise<void> {
  const customer = await createTestAccount(api, 'USD');
  const paid = await createPendingOrder(api, customer.apiKey);
  await sendWebhook(api, await paidEvent(pipeline.database.sql, paid));
  await write('stripeCheckoutOrder', 'paid-and-invoiced', orderWorkflowId(paid.id));

  const cancelled = await createPendingOrder(api, customer.apiKey);
  await api.request('POST', `/v1/topups/${cancelled.id}/cancel`, { token: customer.apiKey });
  await write('stripeCheckoutOrder', 'cancelled', orderWorkflowId(cancelled.id));

  const held = await createPendingOrder(api, customer.apiKey);
  await sendWebhook(api, await paidEvent(pipeline.database.sql, held, { amountTotal: 1999 }));
  await waitForOrder(api, customer.apiKey, held.id, ['processing'], { until: (order) => order.needs_review === true });
  await api.request('POST', `/admin/topups/${held.id}/resolve-review`, { ...admin, body: { decision: 'credit', reason: 'accepted' } });
  await write('stripeCheckoutOrder', 'held-then-credited', orderWorkflowId(held.id));

  // Paid after the customer cancelled: a payment exception, credited by ops.
  const late = await createPendingOrder(api, customer.apiKey);
  const lateEvent = await paidEvent(pipeline.database.sql, late);
  await api.request('POST', `/v1/topups/${late.id}/cancel`, { token: customer.apiKey });
  await waitForOrderWorkflow(api, late.id);
  await sendWebhook(api, lateEvent);
  const exceptionId = paymentExceptionIdFor(lateEvent.id);
  await eventually(async () => ((await api.request('GET', `/admin/payment-exceptions/${exceptionId}`, admin)).status === 200 ? true : undefined), {
    description: 'the payment exception',
  });
  await api.request('POST', `/admin/payment-exceptions/${exceptionId}/resolve`, { ...admin, body: { decision: 'credit', reason: 'paid late' } });
  await write('paymentExceptionWorkflow', 'credited', workflowIdOfPaymentException(exceptionId));
}

async function bankTransferScenarios(): Promise<void> {
  const customer = await createTestAccount(api, 'CNY');
  const remitter = { remitter_name: 'Li Lei', bank_name: 'ICBC', agreement_accepted: true };
  for (const outcome of ['confirmed', 'rejected'] as const) {
    const order = await createPendingOrder(api, customer.apiKey, { package_id: 'cny_100', payment_method: 'bank_transfer', bank_transfer: remitter });
    await api.request('POST', `/admin/topups/${order.id}/start-review`, admin);
    if (outcome === 'confirmed') {
      await api.request('POST', `/admin/topups/${order.id}/confirm-transfer`, { ...admin, body: { amount_received: order.pay_amount, bank_reference: 'B-1' } });
    } else {
      await api.request('POST', `/admin/topups/${order.id}/reject-transfer`, { ...admin, body: { reason: 'no such transfer' } });
    }
    await write('bankTransferOrder', outcome, orderWorkflowId(order.id));
  }
  // Since patched('bank-transfer-instructions-email'): the instructions email at creation, then a
  // confirmation with a corrected credit.
  const corrected = await createPendingOrder(api, customer.apiKey, { package_id: 'cny_100', payment_method: 'bank_transfer', bank_transfer: remitter });
  await api.request('POST', `/admin/topups/${corrected.id}/start-review`, admin);
  await api.request('POST', `/admin/topups/${corrected.id}/confirm-transfer`, {
    ...admin,
    body: { amount_received: '90.00', bank_reference: 'B-2', corrected_credit: '90.00', reason: 'bank fee deducted' },
  });
  await write('bankTransferOrder', 'instructions-and-corrected-credit', orderWorkflowId(corrected.id));
}

/** The frozen workflow types of the release before: started by type name, as that release's API did. */
async function legacyScenarios(): Promise<void> {
  const customer = await createTestAccount(api, 'USD');
  const key = randomToken(12);
  const now = new Date();
  const stripeInput: StripeCheckoutOrderInput = {
    orderId: orderIdFor(customer.accountId, key),
    accountId: customer.accountId,
    customerEmail: 'customer@example.com',
    requestHash: 'recorded',
    idempotencyKey: key,
    terms: { currency: 'USD', paymentMethod: 'stripe', packageId: null, amount: '20.000000', discount: '0.000000', payAmount: '20.000000', bonus: '0.000000', credit: '20.000000', promoCode: null },
    successUrl: 'http://localhost/ok',
    cancelUrl: 'http://localhost/cancel',
    expiresAt: new Date(now.getTime() + 30 * 60_000).toISOString(),
    createdAt: now.toISOString(),
  };
  const started = await startOrderWorkflow(client, pipeline.taskQueue, 'topUpOrderWorkflow', stripeInput);
  if (started.kind !== 'open') throw new Error('the legacy order did not open');
  const order = (await api.request('GET', `/v1/topups/${stripeInput.orderId}`, { token: customer.apiKey })).body as OrderJson;
  await sendWebhook(api, await paidEvent(pipeline.database.sql, order));
  await write('topUpOrderWorkflow', 'paid-and-invoiced', orderWorkflowId(order.id));

  const cny = await createTestAccount(api, 'CNY');
  const bankKey = randomToken(12);
  const bankInput: BankTransferOrderInput = {
    ...stripeInput,
    orderId: orderIdFor(cny.accountId, bankKey),
    accountId: cny.accountId,
    idempotencyKey: bankKey,
    terms: { ...stripeInput.terms, currency: 'CNY', paymentMethod: 'bank_transfer', amount: '100.000000', payAmount: '100.000000', credit: '100.000000' },
    payee: api.config.bankTransfers.payee,
    remitter: { name: 'Li Lei', bankName: 'ICBC', remarks: null },
    deadlineBusinessDays: 3,
    utcOffsetMinutes: bankTransferUtcOffsetMinutes,
  };
  await startOrderWorkflow(client, pipeline.taskQueue, 'bankTransferOrderWorkflow', bankInput);
  await api.request('POST', `/admin/topups/${bankInput.orderId}/start-review`, admin);
  await api.request('POST', `/admin/topups/${bankInput.orderId}/confirm-transfer`, { ...admin, body: { amount_received: '100.00', bank_reference: 'B-2' } });
  await write('bankTransferOrderWorkflow', 'confirmed', orderWorkflowId(bankInput.orderId));
}

/** Refunds (asked for and refunded at once by the policy; rejected by ops) and a dispute that was won. */
async function refundScenarios(): Promise<void> {
  const customer = await createTestAccount(api, 'USD');
  const order = await createPendingOrder(api, customer.apiKey);
  await sendWebhook(api, await paidEvent(pipeline.database.sql, order));
  await waitForOrder(api, customer.apiKey, order.id, ['succeeded'], { until: (paid) => paid.invoice_number !== null });
  const refunded = await api.request('POST', `/v1/topups/${order.id}/refund-requests`, { token: customer.apiKey, idempotencyKey: randomToken(12), body: { amount: '5.00', reason: 'wrong amount' } });
  await write('refundWorkflow', 'approved-and-refunded', refundWorkflowId(refunded.body.id));

  await api.request('POST', '/v1/consumptions', { token: customer.apiKey, idempotencyKey: randomToken(12), body: { amount: '10.00', description: 'usage' } });
  const held = await api.request('POST', `/v1/topups/${order.id}/refund-requests`, { token: customer.apiKey, idempotencyKey: randomToken(12), body: { amount: '1.00', reason: 'more' } });
  await api.request('POST', `/admin/refunds/${held.body.id}/reject`, { ...admin, body: { reason: 'spent' } });
  await write('refundWorkflow', 'rejected', refundWorkflowId(held.body.id));

  const dispute = { id: `dp_${randomToken(12)}`, object: 'dispute', amount: 2000, currency: 'usd', status: 'needs_response', reason: 'fraudulent', payment_intent: `pi_test_${order.id.slice(4)}` };
  const event = (type: string, status: string) => ({ id: `evt_${randomToken(20)}`, object: 'event', type, created: Math.floor(Date.now() / 1000), data: { object: { ...dispute, status } } });
  await sendWebhook(api, event('charge.dispute.created', 'needs_response'));
  await sendWebhook(api, event('charge.dispute.closed', 'won'));
  await write('disputeWorkflow', 'won', disputeWorkflowId(dispute.id));
}

/** Automatic recharge on the sandbox's test cards (a pipeline of its own, without a Stripe key). */
async function autoRechargeScenarios(): Promise<void> {
  const sandbox = await startTestPipeline({ sandbox: true });
  try {
    for (const [card, scenario] of [['succeeds', 'recharged-and-invoiced'], ['stolen_card', 'hard-decline-disabled']] as const) {
      const customer = await createTestAccount(sandbox.api, 'USD');
      await fundAccountDirectly(sandbox.database.sql, customer.accountId, 'USD', 12_000_000n);
      await saveSandboxCard(sandbox.api, customer.apiKey, card);
      await sandbox.api.request('PUT', '/v1/auto-recharge', {
        token: customer.apiKey,
        body: { enabled: true, threshold: '10', amount: '50', monthly_limit: '500', consent: { ip_address: '192.0.2.1', user_agent: 'recorder' } },
      });
      // The enabling run ends once it found the balance above the threshold; the crossing starts the next.
      await client.workflow.getHandle(autoRechargeWorkflowId(customer.accountId)).result();
      await sandbox.api.request('POST', '/v1/consumptions', { token: customer.apiKey, idempotencyKey: randomToken(), body: { amount: '5', description: 'usage' } });
      await eventually(async () => ((await sandbox.api.request('GET', '/v1/auto-recharge', { token: customer.apiKey })).body.last_attempt === null ? undefined : true), {
        description: 'the recharge attempt',
      });
      await write('autoRechargeWorkflow', scenario, autoRechargeWorkflowId(customer.accountId));
    }
  } finally {
    await sandbox.close();
  }
}

/** A reconciliation run that finds a sandbox payment whose webhook never came and delivers it. */
async function reconciliationScenarios(): Promise<void> {
  const sandbox = await startTestPipeline({ sandbox: true });
  try {
    const customer = await createTestAccount(sandbox.api, 'USD');
    const order = await createPendingOrder(sandbox.api, customer.apiKey);
    await completeSandboxSession(sandbox.database.sql, await sessionIdOf(sandbox.database.sql, order.id), 'paid');
    const workflowId = `reconciliation-record-${randomToken(8)}`;
    await sandbox.api.temporalClient.workflow.execute('reconciliationWorkflow', {
      taskQueue: sandbox.taskQueue,
      workflowId,
      args: [{ pendingAgeSeconds: 0, processingAgeSeconds: 0, limit: reconciliationBatchSize }],
    });
    await write('reconciliationWorkflow', 'delivered-a-missed-payment', workflowId);
  } finally {
    await sandbox.close();
  }
}

/** A daily reconciliation run that finds a sandbox payment Refill never credited and reports it. */
async function dailyReconciliationScenarios(): Promise<void> {
  const sandbox = await startTestPipeline({ sandbox: true });
  try {
    const customer = await createTestAccount(sandbox.api, 'USD');
    const order = await createPendingOrder(sandbox.api, customer.apiKey);
    await completeSandboxSession(sandbox.database.sql, await sessionIdOf(sandbox.database.sql, order.id), 'paid');
    const workflowId = `daily-reconciliation-record-${randomToken(8)}`;
    await sandbox.api.temporalClient.workflow.execute('dailyReconciliationWorkflow', {
      taskQueue: sandbox.taskQueue,
      workflowId,
      args: [{ date: new Date().toISOString().slice(0, 10) }],
    });
    await write('dailyReconciliationWorkflow', 'found-a-payment-not-credited', workflowId);
  } finally {
    await sandbox.close();
  }
}

async function main(pipelineToClose: TestPipeline): Promise<void> {
  try {
    await stripeScenarios();
    await bankTransferScenarios();
    await legacyScenarios();
    await refundScenarios();
    await autoRechargeScenarios();
    await reconciliationScenarios();
    await dailyReconciliationScenarios();
  } finally {
    await pipelineToClose.close();
  }
}

await main(pipeline);
