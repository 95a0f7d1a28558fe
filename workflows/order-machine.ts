// What both order state machines share: the shape of a transition, the timer event, and the rules that
// read an order's state for the update handlers. Pure: no Temporal import, no clock, no I/O, so the
// machines are tested as plain functions (test/order-state-machines.test.ts).
import type { OrderActionRecord } from '../domain/order-actions.ts';
import type { OrderRefusal, OrderSnapshot, OrderStatus, OrderTerms } from '../domain/orders.ts';

/** The event a machine gets when the time it asked to be woken at has come. */
export interface TimerFired {
  type: 'timer_fired';
  nowMilliseconds: number;
}

/** A ledger credit of the order: the locked quote, or a corrected one ops confirmed. */
export interface CreditCommand {
  kind: 'credit';
  /** The order as it is once credited (status succeeded); the credit's transaction saves it. */
  succeeded: OrderSnapshot;
  correction: { amountReceived: string; correctedCredit: string; reason: string } | null;
}

/** The side effects a machine asks its workflow to carry out, in order. */
export type OrderCommand =
  | { kind: 'save' }
  | { kind: 'record_action'; action: Omit<OrderActionRecord, 'orderId'> }
  | CreditCommand
  | { kind: 'paperwork'; balanceAfter: string };

/** The commands that write the order's row (through saveOrderState), whatever the kind of order. */
export const rowWritingCommands: readonly string[] = ['save', 'credit', 'open_checkout'];

export interface Transition<State, Command> {
  state: State;
  commands: Command[];
}

/** What every order machine's state has: the order, and where the machine is in its life. */
export interface OrderMachineState {
  order: OrderSnapshot;
  /** Set when recording the order refused it; the order never existed. */
  refusal: OrderRefusal | null;
  /** False until the order's row exists: the state query answers null before. */
  recorded: boolean;
  /** True once the machine has nothing more to do. */
  finished: boolean;
}

export const terminalStatuses: readonly OrderStatus[] = ['succeeded', 'failed', 'expired', 'cancelled'];

export function isTerminal(status: OrderStatus): boolean {
  return terminalStatuses.includes(status);
}

/** A new order's snapshot: pending, nothing paid, nothing credited. */
export function newOrderSnapshot(order: {
  orderId: string;
  accountId: string;
  terms: OrderTerms;
  expiresAt: string;
  createdAt: string;
}): OrderSnapshot {
  return {
    orderId: order.orderId,
    accountId: order.accountId,
    status: 'pending',
    terms: order.terms,
    checkoutSessionId: null,
    checkoutUrl: null,
    expiresAt: order.expiresAt,
    createdAt: order.createdAt,
    paidAt: null,
    creditedAt: null,
    receiptUrl: null,
    providerPaymentId: null,
    needsReview: false,
    reviewReason: null,
    failureReason: null,
    bankTransfer: null,
    invoiceNumber: null,
  };
}

/** The order with some fields changed: states are never edited in place. */
export function withOrder<State extends OrderMachineState>(state: State, changes: Partial<OrderSnapshot>): State {
  return { ...state, order: { ...state.order, ...changes } };
}

/** The order succeeded: what the credit's transaction writes, and what the machine holds afterwards. */
export function succeededOrder(order: OrderSnapshot): OrderSnapshot {
  return { ...order, status: 'succeeded', needsReview: false };
}

/** The state after a credit: the credit command's snapshot, with the credit's time. */
export function credited<State extends OrderMachineState>(state: State, command: CreditCommand, creditedAt: string): State {
  return { ...state, order: { ...command.succeeded, creditedAt } };
}

/** A credit the ledger refused (or that failed for good): a person must look; nothing was credited. */
export function holdForReview<State extends OrderMachineState>(state: State, reason: string): State {
  return withOrder(state, { status: 'processing', needsReview: true, reviewReason: reason });
}

/** A row write (the order's state, an ops action) failed for good: a person must look; the order goes on. */
export function flagWriteFailure<State extends OrderMachineState>(state: State, reason: string): State {
  const earlier = state.order.reviewReason === null ? '' : `${state.order.reviewReason}; `;
  return withOrder(state, { needsReview: true, reviewReason: `${earlier}the order's row could not be written: ${reason}` });
}

/** Reports that change nothing leave the state as it was and ask for nothing. */
export function unchanged<State, Command>(state: State): Transition<State, Command> {
  return { state, commands: [] };
}
