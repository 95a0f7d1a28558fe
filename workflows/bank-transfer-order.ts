// A bank transfer top-up order: the thin Temporal shell around workflows/bank-transfer-state.ts. It
// registers the handlers, turns updates and timers into the machine's events, and runs the machine's
// commands as activities. Customer emails run in the background: one that cannot be sent never holds
// up the order. Deterministic orchestration only.
import { condition, log, patched, setHandler } from '@temporalio/workflow';
import {
  confirmTransferUpdate,
  rejectTransferUpdate,
  startReviewUpdate,
  type BankTransferOrderInput,
  type ConfirmTransferRequest,
  type RejectTransferRequest,
} from '../domain/bank-transfers.ts';
import { bankTransferSchedule } from '../domain/business-days.ts';
import { failure } from '../domain/failures.ts';
import type { OrderSnapshot, TopUpOrderResult } from '../domain/orders.ts';
import { mail } from './activity-options.ts';
import {
  bankTransferWakeAtMilliseconds,
  canCancelBankTransfer,
  canResumeBankTransfer,
  decideBankTransfer,
  isBankTransferWaiting,
  judgeBankTransfer,
  startBankTransfer,
  type BankTransferCommand,
  type BankTransferEmail,
  type BankTransferEvent,
  type BankTransferState,
} from './bank-transfer-state.ts';
import { issueInvoiceAndEmail } from './invoice-step.ts';
import { isTerminal, rowWritingCommands } from './order-machine.ts';
import { orderSteps, type OrderSteps } from './order-steps.ts';
import { OrderRun, recordOrReport, reportFailure, setSharedOrderHandlers, writeOrReport } from './order-run.ts';

type BankRun = OrderRun<BankTransferState, BankTransferEvent, BankTransferCommand>;

/** Runs one bank transfer order from its creation to its credit, rejection, cancellation or expiry. */
export async function bankTransferOrder(input: BankTransferOrderInput): Promise<TopUpOrderResult> {
  // First: where this run's steps go is decided once, before any command (workflows/order-steps.ts).
  const steps = orderSteps(input);
  // Workflow time is the same on every replay, so the deadline is too.
  const schedule = bankTransferSchedule(Date.now(), input.deadlineBusinessDays, { utcOffsetMinutes: input.utcOffsetMinutes });
  const started = startBankTransfer(input, schedule);
  // Decided once, before any command, like the steps: new runs email the customer the bank details.
  const start = { ...started, state: { ...started.state, instructionsEmail: patched('bank-transfer-instructions-email') } };
  const emails: Promise<void>[] = [];
  const run: BankRun = new OrderRun(start.state, {
    decide: decideBankTransfer,
    acceptsExternalEvents: isBankTransferWaiting,
    wakeAtMilliseconds: bankTransferWakeAtMilliseconds,
    writesRow: (command) => rowWritingCommands.includes(command.kind),
    run: (command, state) => runCommand(input, steps, command, state, emails),
  });
  setBankTransferHandlers(run, input);
  const result = await run.runOrder(start);
  await Promise.all(emails);
  return result;
}

function setBankTransferHandlers(run: BankRun, input: BankTransferOrderInput): void {
  setSharedOrderHandlers(run, {
    requestHash: input.requestHash,
    isReady: (state) => state.recorded,
    openFailure: () => null,
    canCancel: canCancelBankTransfer,
    canResume: canResumeBankTransfer,
    cancelEvent: (nowMilliseconds) => ({ type: 'cancel_requested' as const, nowMilliseconds }),
  });
  setHandler(
    startReviewUpdate,
    async (request) => {
      run.deliver({ type: 'review_started', request, nowMilliseconds: Date.now() });
      await condition(() => run.state.refusal !== null || (run.state.order.status !== 'pending' && run.isSaved()));
      if (run.state.refusal !== null) throw failure('order_not_reviewable', 'The order was refused.');
      refuseIf(judgeBankTransfer(run.state, request));
      return run.state.order;
    },
    {
      validator: (request) => {
        const preview = run.preview();
        refuseIf(judgeBankTransfer(preview, request));
        if (preview.order.status !== 'pending') return;
        if (preview.refusal !== null) throw failure('order_not_reviewable', 'The order was refused.');
        if (Date.now() >= preview.schedule.expiresAtMilliseconds) throw failure('order_not_reviewable', 'The order has expired.');
      },
    },
  );
  const decide = async (request: ConfirmTransferRequest | RejectTransferRequest): Promise<OrderSnapshot> => {
    run.deliver({ type: 'decision_taken', request, nowMilliseconds: Date.now() });
    await condition(() => isTerminal(run.state.order.status) && run.isSaved());
    return run.state.order;
  };
  const validator = (request: ConfirmTransferRequest | RejectTransferRequest) => {
    refuseIf(judgeBankTransfer(run.preview(), request));
  };
  setHandler(confirmTransferUpdate, decide, { validator });
  setHandler(rejectTransferUpdate, decide, { validator });
}

/** Throws the refusal of a verdict; apply and repeat both go on. */
function refuseIf(verdict: ReturnType<typeof judgeBankTransfer>): void {
  if (verdict.kind === 'refuse') throw failure(verdict.code, verdict.message);
}

/** Carries out one command of the machine; returns what it reports back. */
async function runCommand(
  input: BankTransferOrderInput,
  steps: OrderSteps,
  command: BankTransferCommand,
  state: BankTransferState,
  emails: Promise<void>[],
): Promise<BankTransferEvent | null> {
  const order = state.order;
  switch (command.kind) {
    case 'record':
      return recordOrReport<BankTransferEvent>(
        async () => {
          const recorded = await steps.databaseStep((activities) => activities.recordBankTransferOrder({ ...input, expiresAt: order.expiresAt }));
          return recorded.ok ? { type: 'recorded', refusal: null, reference: recorded.reference } : { type: 'recorded', refusal: recorded.refusal, reference: null };
        },
        (refusal) => ({ type: 'recorded', refusal, reference: null }),
      );
    case 'save':
      return writeOrReport<BankTransferEvent>(() => steps.databaseStep((activities) => activities.saveOrder(order)), (reason) => ({ type: 'write_failed', reason }));
    case 'record_action':
      return writeOrReport<BankTransferEvent>(
        () => steps.databaseStep((activities) => activities.recordOrderAction({ orderId: order.orderId, ...command.action })),
        (reason) => ({ type: 'write_failed', reason }),
      );
    case 'credit':
      return reportFailure<BankTransferEvent>(
        async () => ({ type: 'credited', command, ...(await steps.databaseStep((activities) => activities.postOrderCredit(command))) }),
        (reason) => ({ type: 'credit_failed', reason }),
      );
    case 'paperwork': {
      // As for Stripe orders: the invoice never holds up or undoes the credit, which is committed.
      const invoice = await issueInvoiceAndEmail(order, command.balanceAfter, steps.invoiceStep);
      return { type: 'paperwork_done', invoiceNumber: invoice.outcome === 'not_issued' ? null : invoice.invoiceNumber };
    }
    case 'send_email':
      emails.push(sendEmail(input, order, command.email));
      return null;
  }
}

/** Sends a customer email in the background; a failure is logged, and the order goes on without it. */
function sendEmail(input: BankTransferOrderInput, order: OrderSnapshot, kind: BankTransferEmail): Promise<void> {
  const emailInput = { order, customerEmail: input.customerEmail, utcOffsetMinutes: input.utcOffsetMinutes };
  const send =
    kind === 'instructions'
      ? mail.sendBankTransferInstructions(emailInput)
      : kind === 'reminder'
        ? mail.sendBankTransferReminder(emailInput)
        : mail.sendBankTransferRejection(emailInput);
  return send.catch((error: unknown) => {
    log.error('bank transfer email not sent', { orderId: order.orderId, kind, error: String(error) });
  });
}
