// One bank transfer top-up order. The customer transfers the pay amount with the order's reference in the
// note; ops find the transfer on the bank statement, start a review, and confirm it (credit) or reject it
// (failed). Deterministic orchestration only: every side effect is an activity.
//
// While pending, the order is reminded on the morning of its last business day and expires at that day's
// end; the customer may cancel it. Once ops start the review it no longer expires (the money may be
// there) and the customer can no longer cancel it. Every transition is decided by judgeOpsAction, the
// rule the API also applies once this workflow has finished.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities/index.ts';
import {
  bankTransferFailureTypes,
  confirmTransferUpdate,
  customerActor,
  judgeOpsAction,
  rejectTransferUpdate,
  startReviewUpdate,
  type BankTransferOrderInput,
  type ConfirmTransferRequest,
  type OpsRequest,
  type OpsVerdict,
  type RejectTransferRequest,
  type ReviewDecision,
  type StartReviewRequest,
} from '../domain/bank-transfers.ts';
import { bankTransferSchedule } from '../domain/business-days.ts';
import {
  cancelOrderUpdate,
  openCheckoutUpdate,
  orderFailureTypes,
  orderStateQuery,
  resumeOrderUpdate,
  terminalOrderStatuses,
  type OrderSnapshot,
  type TopUpOrderResult,
} from '../domain/orders.ts';
import { issueInvoiceAndEmail } from './invoice-step.ts';
import { databaseActivities, newOrderSnapshot, orderRecord, requireSameRequest } from './order-record.ts';

/** Customer emails: retried for about an hour; an email that cannot be sent never holds up the order. */
const mail = proxyActivities<OrderActivities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '10 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    maximumAttempts: 10,
    nonRetryableErrorTypes: ['bank_transfer_email_rejected'],
  },
});

/** A review ops have started but not finished in this time is flagged for a person; it keeps waiting. */
const reviewDeadlineMilliseconds = 14 * 24 * 60 * 60 * 1000;

type PendingTransition = { kind: 'cancel'; atMilliseconds: number } | { kind: 'review'; request: StartReviewRequest; atMilliseconds: number };

/** Runs one bank transfer order from its creation to its credit, rejection, cancellation or expiry. */
export async function bankTransferOrderWorkflow(input: BankTransferOrderInput): Promise<TopUpOrderResult> {
  // Workflow time is the same on every replay, so the deadline is too.
  const schedule = bankTransferSchedule(Date.now(), input.deadlineBusinessDays, { utcOffsetMinutes: input.utcOffsetMinutes });
  const order: OrderSnapshot = newOrderSnapshot({
    ...input,
    expiresAt: new Date(schedule.expiresAtMilliseconds).toISOString(),
  });
  const { save, changeStatus, isSaved } = orderRecord(order);
  let recorded = false;
  let rejection: { code: string; message: string } | null = null;
  /** The customer's cancel or ops' start of review, whichever came first; the main loop applies it. */
  let transition: PendingTransition | null = null;
  /** Ops' confirmation or rejection, once accepted; the main loop carries it out. */
  let decision: { request: ReviewDecision; atMilliseconds: number } | null = null;
  const emails: Promise<void>[] = [];

  const isClosed = () => terminalOrderStatuses.includes(order.status);
  const judge = (request: OpsRequest) =>
    judgeOpsAction({ status: order.status, payAmount: order.terms.payAmount, decision: decision?.request ?? null }, request);

  setHandler(orderStateQuery, () => (recorded ? order : null));

  setHandler(
    openCheckoutUpdate,
    async () => {
      await condition(() => rejection !== null || (recorded && isSaved()));
      if (rejection !== null) throw ApplicationFailure.nonRetryable(rejection.message, rejection.code);
      return order;
    },
    { validator: ({ requestHash }) => requireSameRequest(input.requestHash, requestHash) },
  );

  setHandler(
    cancelOrderUpdate,
    async () => {
      transition ??= { kind: 'cancel', atMilliseconds: Date.now() };
      await condition(() => rejection !== null || (order.status !== 'pending' && isSaved()));
      if (order.status !== 'cancelled') {
        throw ApplicationFailure.nonRetryable(`The order is ${order.status}, not cancelled.`, orderFailureTypes.notCancellable);
      }
      return order;
    },
    {
      validator: () => {
        if (order.status !== 'pending' || rejection !== null || transition?.kind === 'review') {
          const status = transition?.kind === 'review' ? 'in review' : order.status;
          throw ApplicationFailure.nonRetryable(`The order is ${status}.`, orderFailureTypes.notCancellable);
        }
      },
    },
  );

  // A bank transfer has no checkout to reopen: resuming a pending order returns it with its payment
  // instructions (payee account and reference), for a customer who lost them.
  setHandler(
    resumeOrderUpdate,
    async () => {
      await condition(() => recorded || rejection !== null);
      if (rejection !== null || order.status !== 'pending' || transition !== null) {
        throw ApplicationFailure.nonRetryable(`The order is ${order.status}.`, orderFailureTypes.notResumable);
      }
      return order;
    },
    {
      validator: () => {
        if (order.status !== 'pending' || transition !== null || Date.now() >= schedule.expiresAtMilliseconds) {
          throw ApplicationFailure.nonRetryable('The order can no longer be paid.', orderFailureTypes.notResumable);
        }
      },
    },
  );

  setHandler(
    startReviewUpdate,
    async (request) => {
      if (judge(request).kind === 'apply') transition ??= { kind: 'review', request, atMilliseconds: Date.now() };
      await condition(() => rejection !== null || (order.status !== 'pending' && isSaved()));
      if (rejection !== null) refuse(bankTransferFailureTypes.notReviewable, 'The order was refused.');
      refuseIf(judge(request));
      return order;
    },
    {
      validator: (request) => {
        refuseIf(judge(request));
        if (order.status !== 'pending') return;
        if (rejection !== null) refuse(bankTransferFailureTypes.notReviewable, 'The order was refused.');
        if (transition?.kind === 'cancel') refuse(bankTransferFailureTypes.notReviewable, 'The order is being cancelled.');
        if (Date.now() >= schedule.expiresAtMilliseconds) refuse(bankTransferFailureTypes.notReviewable, 'The order has expired.');
      },
    },
  );

  /** Confirm and reject: the first accepted decision is carried out; the same one again just waits for it. */
  async function decide(request: ConfirmTransferRequest | RejectTransferRequest): Promise<OrderSnapshot> {
    const verdict = judge(request);
    refuseIf(verdict);
    if (verdict.kind === 'apply') decision = { request, atMilliseconds: Date.now() };
    await condition(() => isClosed() && isSaved());
    return order;
  }
  const validateDecision = (request: ConfirmTransferRequest | RejectTransferRequest) => refuseIf(judge(request));
  setHandler(confirmTransferUpdate, decide, { validator: validateDecision });
  setHandler(rejectTransferUpdate, decide, { validator: validateDecision });

  /** Sends an email in the background; a failure is logged, and the order goes on without it. */
  function email(kind: 'reminder' | 'rejection'): void {
    const emailInput = { order: { ...order }, customerEmail: input.customerEmail, utcOffsetMinutes: input.utcOffsetMinutes };
    const send = kind === 'reminder' ? mail.sendBankTransferReminder(emailInput) : mail.sendBankTransferRejection(emailInput);
    emails.push(
      send.catch((error: unknown) => {
        log.error('bank transfer email not sent', { orderId: order.orderId, kind, error: String(error) });
      }),
    );
  }

  async function applyTransition(pending: PendingTransition): Promise<void> {
    const occurredAt = new Date(pending.atMilliseconds).toISOString();
    if (pending.kind === 'cancel') {
      await databaseActivities.recordOrderAction({
        orderId: order.orderId,
        action: 'cancel',
        actor: customerActor,
        reason: null,
        payload: {},
        occurredAt,
      });
      return changeStatus('cancelled');
    }
    await databaseActivities.recordOrderAction({
      orderId: order.orderId,
      action: 'start_review',
      actor: pending.request.actor,
      reason: null,
      payload: {},
      occurredAt,
    });
    await changeStatus('processing');
  }

  /** Waits for the transfer until the deadline, reminding the customer on the last morning. */
  async function waitWhilePending(): Promise<void> {
    let reminded = false;
    while (order.status === 'pending') {
      const wakeAt = reminded ? schedule.expiresAtMilliseconds : schedule.remindAtMilliseconds;
      const remaining = wakeAt - Date.now();
      if (remaining > 0) await condition(() => transition !== null, remaining);
      if (transition !== null) {
        await applyTransition(transition);
      } else if (!reminded) {
        reminded = true;
        // A worker that was down past the deadline does not remind an order it is about to expire.
        if (Date.now() < schedule.expiresAtMilliseconds) email('reminder');
      } else {
        await changeStatus('expired');
      }
    }
  }

  async function confirm(request: ConfirmTransferRequest, occurredAt: string): Promise<void> {
    await databaseActivities.recordOrderAction({
      orderId: order.orderId,
      action: 'confirm_transfer',
      actor: request.actor,
      reason: request.reason,
      payload: {
        amount_received: request.amountReceived,
        bank_reference: request.bankReference,
        corrected_credit: request.correctedCredit,
      },
      occurredAt,
    });
    order.paidAt = occurredAt;
    order.providerPaymentId = request.bankReference;
    order.needsReview = false;
    order.reviewReason = null;
    const credit =
      request.correctedCredit === null
        ? await databaseActivities.creditOrder({ ...order })
        : await databaseActivities.creditOrderWithCorrection({
            snapshot: { ...order },
            correction: {
              amountReceived: request.amountReceived,
              correctedCredit: request.correctedCredit,
              reason: request.reason ?? '',
            },
          });
    order.creditedAt = credit.creditedAt;
    await changeStatus('succeeded');
    // As for Stripe orders: the invoice never holds up or undoes the credit, which is committed.
    const invoice = await issueInvoiceAndEmail({ ...order }, credit.balanceAfter);
    if (invoice.outcome !== 'not_issued') order.invoiceNumber = invoice.invoiceNumber;
  }

  async function reject(request: RejectTransferRequest, occurredAt: string): Promise<void> {
    await databaseActivities.recordOrderAction({
      orderId: order.orderId,
      action: 'reject_transfer',
      actor: request.actor,
      reason: request.reason,
      payload: {},
      occurredAt,
    });
    order.needsReview = false;
    order.reviewReason = null;
    await changeStatus('failed', request.reason);
    email('rejection');
  }

  /** Waits for ops' decision and carries it out; a review left open too long is flagged, not closed. */
  async function waitForDecision(): Promise<void> {
    if (order.status !== 'processing') return;
    if (!(await condition(() => decision !== null, reviewDeadlineMilliseconds))) {
      order.needsReview = true;
      order.reviewReason = 'the review of the bank transfer was not finished in time';
      log.warn('bank transfer review overdue', { orderId: order.orderId });
      await save();
      await condition(() => decision !== null);
    }
    const { request, atMilliseconds } = decision!;
    const occurredAt = new Date(atMilliseconds).toISOString();
    if (request.action === 'confirm_transfer') await confirm(request, occurredAt);
    else await reject(request, occurredAt);
  }

  const recordedResult = await databaseActivities.recordBankTransferOrder({ ...input, expiresAt: order.expiresAt });
  if (!recordedResult.ok) {
    rejection = recordedResult.refusal;
    await condition(allHandlersFinished);
    return { outcome: 'rejected', code: rejection.code, message: rejection.message };
  }
  order.bankTransfer = {
    bankName: input.payee.bankName,
    accountName: input.payee.accountName,
    accountNumber: input.payee.accountNumber,
    reference: recordedResult.reference,
    remitterName: input.remitter.name,
    remitterBankName: input.remitter.bankName,
    remarks: input.remitter.remarks,
  };
  recorded = true;

  await waitWhilePending();
  await waitForDecision();
  await Promise.all(emails);
  await condition(allHandlersFinished);
  return { outcome: 'closed', status: order.status };
}

function refuse(type: string, message: string): never {
  throw ApplicationFailure.nonRetryable(message, type);
}

function refuseIf(verdict: OpsVerdict): void {
  if (verdict.kind === 'refuse') refuse(verdict.code, verdict.message);
}
