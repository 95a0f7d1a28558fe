// The console's queues, in the order of its navigation (api/ops/ops-pages.ts).
import { autoRechargeQueue } from './auto-recharges.ts';
import { bankTransferQueue } from './bank-transfers.ts';
import { heldOrderQueue } from './held-orders.ts';
import type { OpsQueue } from './ops-queue.ts';
import { paymentExceptionQueue } from './payment-exceptions.ts';
import { refundQueue } from './refunds.ts';

export const consoleQueues = [bankTransferQueue, heldOrderQueue, paymentExceptionQueue, refundQueue, autoRechargeQueue] as OpsQueue<never>[];
