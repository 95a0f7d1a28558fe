// One payment exception: a payment that reached an order after its workflow had closed. The workflow
// records it, stays open (and so findable in the Temporal UI: RefillNeedsReview=true) until ops decide,
// and carries the decision out exactly once: credit the order's locked quote, refund at the provider,
// or dismiss. It owns the exception's row. Deterministic orchestration only.
import { condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { failure } from '../domain/failures.ts';
import {
  paymentExceptionQuery,
  resolvePaymentExceptionUpdate,
  type PaymentExceptionInput,
  type PaymentExceptionSnapshot,
  type ResolvePaymentExceptionRequest,
} from '../domain/payment-exceptions.ts';
import { needsReviewKey } from '../domain/search-attributes.ts';
import { database, provider } from './activity-options.ts';

export type PaymentExceptionResult = { outcome: 'duplicate'; exceptionId: string } | { outcome: 'resolved'; exception: PaymentExceptionSnapshot };

/** Records the exception and carries out ops' decision on it. */
export async function paymentExceptionWorkflow(input: PaymentExceptionInput): Promise<PaymentExceptionResult> {
  let exception: PaymentExceptionSnapshot | null = null;
  let decision: ResolvePaymentExceptionRequest | null = null;
  setHandler(paymentExceptionQuery, () => exception);
  setHandler(
    resolvePaymentExceptionUpdate,
    async (request) => {
      decision ??= request;
      await condition(() => exception?.status === 'resolved');
      return exception!;
    },
    { validator: (request) => judgeResolution(exception, decision, request) },
  );

  const recorded = await database.recordPaymentException(input);
  // Another event of the same payment opened it first: that exception is the one ops resolve.
  if (!recorded.created) return { outcome: 'duplicate', exceptionId: recorded.exception.id };
  exception = recorded.exception;
  upsertSearchAttributes([{ key: needsReviewKey, value: true }]);

  await condition(() => decision !== null);
  const resolution = { exception, decision: decision! };
  exception = resolution.decision.decision === 'refund'
    ? await provider.refundPaymentException(resolution)
    : await database.resolvePaymentException(resolution);
  upsertSearchAttributes([{ key: needsReviewKey, value: false }]);
  return { outcome: 'resolved', exception };
}

/** A decision is taken once; the same one again waits for it, another is refused. */
function judgeResolution(
  exception: PaymentExceptionSnapshot | null,
  accepted: ResolvePaymentExceptionRequest | null,
  request: ResolvePaymentExceptionRequest,
): void {
  const taken = accepted ?? (exception?.decision === null || exception === null ? null : { decision: exception.decision, reason: exception.decisionReason ?? '' });
  if (taken === null) {
    if (request.decision === 'refund' && exception !== null && exception.providerPaymentId === null) {
      throw failure('payment_exception_not_refundable', 'The provider did not name the payment, so it cannot be refunded from here.');
    }
    return;
  }
  if (taken.decision === request.decision && taken.reason === request.reason) return;
  throw failure('payment_exception_already_resolved', `The payment exception was already resolved: ${taken.decision}.`);
}
