// The workflows the worker runs. New orders start the workflow type of their payment method
// (domain/orders.ts: orderWorkflowTypes); the frozen types of the release before stay registered until
// no run of theirs is open, so those runs replay (see the README's "Versioning").
export { stripeCheckoutOrder } from './stripe-checkout-order.ts';
export { bankTransferOrder } from './bank-transfer-order.ts';
export { paymentExceptionWorkflow } from './payment-exception.ts';
export { topUpOrderWorkflow } from './legacy/topup-order.ts';
export { bankTransferOrderWorkflow } from './legacy/bank-transfer-order.ts';
export { refundWorkflow } from './refund.ts';
export { disputeWorkflow } from './dispute.ts';
export { autoRechargeWorkflow } from './auto-recharge.ts';
export { reconciliationWorkflow } from './reconciliation.ts';
export { dailyReconciliationWorkflow } from './daily-reconciliation.ts';
