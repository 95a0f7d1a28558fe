// The custom search attributes order workflows keep current, so ops can filter orders in the Temporal UI
// and with `temporal workflow list --query`. The worker registers them on its namespace at start.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const orderStatusKey = defineSearchAttributeKey('RefillOrderStatus', SearchAttributeType.KEYWORD);
export const accountIdKey = defineSearchAttributeKey('RefillAccountId', SearchAttributeType.KEYWORD);
export const paymentMethodKey = defineSearchAttributeKey('RefillPaymentMethod', SearchAttributeType.KEYWORD);
export const currencyKey = defineSearchAttributeKey('RefillCurrency', SearchAttributeType.KEYWORD);
/** The order's chosen amount in micro-units: 100 USD is 100000000. */
export const amountMicrosKey = defineSearchAttributeKey('RefillAmountMicros', SearchAttributeType.INT);
export const needsReviewKey = defineSearchAttributeKey('RefillNeedsReview', SearchAttributeType.BOOL);
/** Set when an invoice email could not be delivered after its retries. */
export const invoiceEmailFailedKey = defineSearchAttributeKey('RefillInvoiceEmailFailed', SearchAttributeType.BOOL);

/** A refund's status (refund-<refund id>), a dispute's (dispute-<dispute id>), and the order either is of. */
export const refundStatusKey = defineSearchAttributeKey('RefillRefundStatus', SearchAttributeType.KEYWORD);
export const disputeStatusKey = defineSearchAttributeKey('RefillDisputeStatus', SearchAttributeType.KEYWORD);
export const orderIdKey = defineSearchAttributeKey('RefillOrderId', SearchAttributeType.KEYWORD);

/** An account's auto-recharge (auto-recharge-<account id>): its phase and failures in a row, for ops. */
export const autoRechargeStateKey = defineSearchAttributeKey('RefillAutoRechargeState', SearchAttributeType.KEYWORD);
export const consecutiveFailuresKey = defineSearchAttributeKey('RefillConsecutiveFailures', SearchAttributeType.INT);
/** The orders a reconciliation run delivered a payment for or turned into a payment exception (set on the run). */
export const reconciledOrderIdsKey = defineSearchAttributeKey('RefillReconciledOrderIds', SearchAttributeType.KEYWORD_LIST);

export const refillSearchAttributeKeys = [
  orderStatusKey,
  accountIdKey,
  paymentMethodKey,
  currencyKey,
  amountMicrosKey,
  needsReviewKey,
  invoiceEmailFailedKey,
  refundStatusKey,
  disputeStatusKey,
  orderIdKey,
  autoRechargeStateKey,
  consecutiveFailuresKey,
  reconciledOrderIdsKey,
] as const;
