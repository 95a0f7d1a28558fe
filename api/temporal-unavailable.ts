// Whether a failed call into Temporal means "Temporal cannot do this now" (the client may retry the same
// request shortly: 503) rather than a refusal or a bug. Decided by error class and gRPC status code,
// never by message text.
import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError, isGrpcServiceError } from '@temporalio/client';

/**
 * gRPC status codes (google.rpc.Code) that say the call could not be carried out now: CANCELLED (1),
 * DEADLINE_EXCEEDED (4: no worker took the update in time), RESOURCE_EXHAUSTED (8), FAILED_PRECONDITION
 * (9: "workflow task in failed state", which a worker's next attempt or a deployment mends), ABORTED
 * (10), UNAVAILABLE (14: the frontend is down or restarting).
 */
const unavailableGrpcCodes: ReadonlySet<number> = new Set([1, 4, 8, 9, 10, 14]);

/** Wrappers the client puts around a gRPC error are this deep at most. */
const maximumCauseDepth = 8;

export function isTemporalUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < maximumCauseDepth; depth += 1) {
    if (current instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
    if (isGrpcServiceError(current) && unavailableGrpcCodes.has(current.code)) return true;
    // A ServiceError without a gRPC cause is the client failing to reach the server at all.
    if (current instanceof ServiceError && current.cause === undefined) return true;
    current = current.cause;
  }
  return false;
}
