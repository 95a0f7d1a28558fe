// The workflows the worker runs.
export { topUpOrderWorkflow } from './topup-order.ts';
