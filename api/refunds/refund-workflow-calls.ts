// The API's calls into refund workflows: start one for a recorded refund (a retry finds it started), and
// send ops' decision or payout confirmation, whose refusals become API errors (domain/failures.ts).
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { RefundConfig } from '../../config/config.ts';
import type { Sql } from '../../db/client.ts';
import { getRefundRow } from '../../db/refunds/get-refund.ts';
import { refundSnapshotFromRow, type RefundRow } from '../../db/refunds/refund-row.ts';
import { ApiError } from '../../domain/errors.ts';
import {
  confirmPayoutUpdate,
  decideRefundUpdate,
  refundWorkflowId,
  type ConfirmPayoutRequest,
  type RefundDecisionRequest,
  type RefundWorkflowInput,
} from '../../domain/refunds.ts';
import { accountIdKey, needsReviewKey, orderIdKey, refundStatusKey } from '../../domain/search-attributes.ts';
import { apiErrorFromFailure, callWithDeadline, isClosedWorkflowError } from '../topups/order-workflow-calls.ts';

const startDeadlineMilliseconds = 10_000;

/** Starts the refund's workflow, named by the refund; one already started (a retried request) is left as it is. */
export async function startRefundWorkflow(client: Client, taskQueue: string, refunds: RefundConfig, row: RefundRow): Promise<void> {
  const input: RefundWorkflowInput = {
    refund: refundSnapshotFromRow(row),
    payoutDeadlineMilliseconds: refunds.payoutDeadlineMilliseconds,
    payoutReminderMilliseconds: refunds.payoutReminderMilliseconds,
  };
  try {
    await callWithDeadline(
      client,
      () =>
        client.workflow.start('refundWorkflow', {
          workflowId: refundWorkflowId(row.id),
          taskQueue,
          args: [input],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: refundStatusKey, value: row.status },
            { key: accountIdKey, value: row.account_id },
            { key: orderIdKey, value: row.order_id },
            { key: needsReviewKey, value: row.status === 'requested' },
          ],
        }),
      startDeadlineMilliseconds,
    );
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}

/** Ops' approval or rejection; once the workflow has closed, the recorded decision answers a repeat. */
export async function decideRefund(client: Client, row: RefundRow, request: RefundDecisionRequest): Promise<void> {
  await callUpdate(client, () => client.workflow.getHandle(refundWorkflowId(row.id)).executeUpdate(decideRefundUpdate, { args: [request] }), () => {
    const decision = row.status === 'rejected' ? 'reject' : 'approve';
    return row.decided_at !== null && decision === request.decision && row.decision_reason === request.reason
      ? null
      : new ApiError('refund_already_decided', `The refund is ${row.status}.`);
  });
}

/** Ops' confirmation that they paid a bank transfer refund out. */
export async function confirmPayout(client: Client, row: RefundRow, request: ConfirmPayoutRequest): Promise<void> {
  await callUpdate(client, () => client.workflow.getHandle(refundWorkflowId(row.id)).executeUpdate(confirmPayoutUpdate, { args: [request] }), () =>
    row.bank_reference === request.bankReference ? null : new ApiError('refund_not_awaiting_payout', `The refund is ${row.status}.`),
  );
}

async function callUpdate(client: Client, call: () => Promise<unknown>, whenClosed: () => ApiError | null): Promise<void> {
  try {
    await callWithDeadline(client, call);
    return;
  } catch (error) {
    const apiError = apiErrorFromFailure(error);
    if (apiError !== null) throw apiError;
    if (!isClosedWorkflowError(error)) throw error;
  }
  const refusal = whenClosed();
  if (refusal !== null) throw refusal;
}

/** Reads the refund again after a call, as its workflow wrote it. */
export async function refundAfterCall(sql: Sql, refundId: string): Promise<RefundRow> {
  return (await getRefundRow(sql, refundId, null))!;
}
