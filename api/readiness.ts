// Whether the API can create an order now, not just reach its dependencies: the order workflows' search
// attributes exist on the namespace (a workflow started before the worker registered them is refused by
// Temporal) and a worker polls the order task queue. /readyz answers 200 only then, and order creation
// answers 503 with Retry-After until the attributes exist, never a 500.
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { refillSearchAttributeKeys } from '../domain/search-attributes.ts';

const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

export interface Readiness {
  /** True once every custom search attribute of the order workflows is registered (then it stays true). */
  searchAttributesRegistered(): Promise<boolean>;
  /** True when a worker has polled the order task queue recently. */
  workerPolling(): Promise<boolean>;
}

/** A worker's idle long poll renews its entry at least this often; an older one is a worker that left. */
const pollerFreshnessMilliseconds = 90_000;
/** /readyz is polled by load balancers: the task-queue answer is reused for this long. */
const workerCheckCacheMilliseconds = 2_000;

/** gRPC PERMISSION_DENIED (7) and UNIMPLEMENTED (12): the server will not say, which is not "missing". */
const cannotAskCodes: ReadonlySet<number> = new Set([7, 12]);

export function createReadiness(connection: Connection, namespace: string, taskQueue: string): Readiness {
  let registered = false;
  let lastWorkerCheck: { at: number; polling: boolean } | null = null;
  return {
    async searchAttributesRegistered() {
      if (registered) return true;
      let existing;
      try {
        existing = await connection.operatorService.listSearchAttributes({ namespace });
      } catch (error) {
        // A hosted namespace may not let this key read its attributes: the worker, their owner, says.
        if (isGrpcServiceError(error) && cannotAskCodes.has(error.code)) return (registered = true);
        throw error;
      }
      const known = new Set(Object.keys(existing.customAttributes ?? {}));
      registered = refillSearchAttributeKeys.every((key) => known.has(key.name));
      return registered;
    },
    async workerPolling() {
      if (lastWorkerCheck !== null && Date.now() - lastWorkerCheck.at < workerCheckCacheMilliseconds) return lastWorkerCheck.polling;
      const described = await connection.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      const now = Date.now();
      const polling = (described.pollers ?? []).some((poller) => {
        const seconds = Number(poller.lastAccessTime?.seconds ?? 0);
        return now - seconds * 1000 < pollerFreshnessMilliseconds;
      });
      lastWorkerCheck = { at: now, polling };
      return polling;
    },
  };
}
