// The workflows the worker runs.
export { topUpOrderWorkflow } from './topup-order.ts';
export { bankTransferOrderWorkflow } from './bank-transfer-order.ts';
