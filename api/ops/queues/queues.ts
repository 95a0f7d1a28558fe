// The console's queues, in the order of its navigation (api/ops/ops-pages.ts).
import { bankTransferQueue } from './bank-transfers.ts';
import type { OpsQueue } from './ops-queue.ts';

export const consoleQueues: OpsQueue<never>[] = [bankTransferQueue as OpsQueue<never>];
