// The actions of the ops console: each is its /admin route's path with /ops in front, runs the function
// that route runs (so validations, error codes and effects are the same), and says what it did.
import type { ApiDependencies } from '../dependencies.ts';
import { microsFromDecimal, moneyForPeople, type Currency } from '../../domain/money.ts';
import { topUpOpsActions } from '../routes/admin-topups.ts';
import type { OpsQueuePath } from './ops-pages.ts';

export interface OpsAction {
  path: string;
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
  ];
}
