// Starts the workflow of one payment exception, named by its event: a second start for the same event
// (a redelivery, a re-run of the daily reconciliation) finds it started and does nothing. Used by the
// webhook handling for late payments and by the daily reconciliation for the differences it finds.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { OrderRow } from '../../db/orders/order-row.ts';
import { paymentExceptionWorkflowId, type PaymentExceptionInput } from '../../domain/payment-exceptions.ts';
import { accountIdKey, needsReviewKey, paymentMethodKey } from '../../domain/search-attributes.ts';

export async function startPaymentExceptionWorkflow(
  temporal: { temporalClient: Client; taskQueue: string },
  order: Pick<OrderRow, 'account_id' | 'payment_method'>,
  input: PaymentExceptionInput,
): Promise<void> {
  try {
    await temporal.temporalClient.workflow.start('paymentExceptionWorkflow', {
      workflowId: paymentExceptionWorkflowId(input.eventId),
      taskQueue: temporal.taskQueue,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: accountIdKey, value: order.account_id },
        { key: paymentMethodKey, value: order.payment_method },
        { key: needsReviewKey, value: true },
      ],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
