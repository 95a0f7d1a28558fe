// The one way tests wait for something that happens asynchronously: poll a probe until it yields a
// value, with a deadline, and fail with the last thing the probe saw. No fixed sleeps.

export interface EventuallyOptions {
  /** What is awaited, for the failure message. */
  description: string;
  timeoutMilliseconds?: number;
  intervalMilliseconds?: number;
}

const defaultTimeoutMilliseconds = 20_000;
const defaultIntervalMilliseconds = 50;

/**
 * Calls probe until it returns something other than undefined, and returns that. A probe that throws
 * is called again; its last error goes into the timeout's message, so a probe can throw to say what it saw.
 */
export async function eventually<Value>(probe: () => Promise<Value | undefined> | Value | undefined, options: EventuallyOptions): Promise<Value> {
  const deadline = Date.now() + (options.timeoutMilliseconds ?? defaultTimeoutMilliseconds);
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError === null ? '' : `; last error: ${String(lastError)}`;
      throw new Error(`timed out waiting for ${options.description}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMilliseconds ?? defaultIntervalMilliseconds));
  }
}
