// The actions of the ops console: each is its /admin route's path with /ops in front, runs the function
// that route runs (so validations, error codes and effects are the same), and says what it did.
import type { ApiDependencies } from '../dependencies.ts';
import { microsFromDecimal, moneyForPeople, type Currency } from '../../domain/money.ts';
import { paymentExceptionOpsActions } from '../routes/admin-payment-exceptions.ts';
import { refundOpsActions } from '../routes/admin-refunds.ts';
import { topUpOpsActions } from '../routes/admin-topups.ts';
import type { OpsQueuePath } from './ops-pages.ts';

/** Every action's path, as the routes and the contract list them. */
export const opsActionPaths = [
  '/ops/topups/:id/start-review',
  '/ops/topups/:id/confirm-transfer',
  '/ops/topups/:id/reject-transfer',
  '/ops/topups/:id/resolve-review',
  '/ops/payment-exceptions/:id/resolve',
  '/ops/refunds/:id/approve',
  '/ops/refunds/:id/reject',
  '/ops/refunds/:id/confirm-payout',
] as const;

export interface OpsAction {
  path: (typeof opsActionPaths)[number];
  /** The queue whose page shows the outcome. */
  queue: OpsQueuePath;
  /** Runs the action on the item named in the path, with the form's fields as /admin's JSON body; says what was done. */
  run(id: string, body: Record<string, unknown>, operator: string): Promise<string>;
}

interface PresentedOrder {
  id: string;
  status: string;
  credit: string;
  currency: Currency;
}

const orderOutcome = (what: string) => (order: PresentedOrder) => `Order ${order.id}: ${what}; its status is now ${order.status}.`;

export function opsActions(dependencies: ApiDependencies): OpsAction[] {
  const topUps = topUpOpsActions(dependencies);
  const exceptions = paymentExceptionOpsActions(dependencies);
  const refunds = refundOpsActions(dependencies);
  const refundOutcome = (what: string) => (refund: { id: string; status: string }) => `Refund ${refund.id}: ${what}; its status is now ${refund.status}.`;
  const present = (outcome: (order: PresentedOrder) => string) => (order: unknown) => outcome(order as PresentedOrder);
  return [
    {
      path: '/ops/topups/:id/start-review',
      queue: '/ops/bank-transfers',
      run: async (id, body, operator) => present(orderOutcome('review started'))(await topUps.startReview(id, body, operator)),
    },
    {
      path: '/ops/topups/:id/confirm-transfer',
      queue: '/ops/bank-transfers',
      run: async (id, body, operator) =>
        present((order) => orderOutcome(`transfer confirmed, ${moneyForPeople(microsFromDecimal(order.credit), order.currency)} credited`)(order))(await topUps.confirmTransfer(id, body, operator)),
    },
    {
      path: '/ops/topups/:id/reject-transfer',
      queue: '/ops/bank-transfers',
      run: async (id, body, operator) => present(orderOutcome('transfer rejected, the customer is emailed the reason'))(await topUps.rejectTransfer(id, body, operator)),
    },
    {
      path: '/ops/topups/:id/resolve-review',
      queue: '/ops/held-orders',
      run: async (id, body, operator) => present(orderOutcome('review resolved'))(await topUps.resolveReview(id, body, operator)),
    },
    {
      path: '/ops/payment-exceptions/:id/resolve',
      queue: '/ops/payment-exceptions',
      run: async (id, body, operator) => {
        const exception = await exceptions.resolve(id, body, operator);
        return `Payment exception ${exception.id}: resolved (${exception.decision ?? 'recorded'}); its status is now ${exception.status}.`;
      },
    },
    { path: '/ops/refunds/:id/approve', queue: '/ops/refunds', run: async (id, body, operator) => refundOutcome('approved')(await refunds.approve(id, body, operator)) },
    { path: '/ops/refunds/:id/reject', queue: '/ops/refunds', run: async (id, body, operator) => refundOutcome('rejected')(await refunds.reject(id, body, operator)) },
    {
      path: '/ops/refunds/:id/confirm-payout',
      queue: '/ops/refunds',
      run: async (id, body, operator) => refundOutcome('payout confirmed')(await refunds.confirmPayout(id, body, operator)),
    },
  ];
}
