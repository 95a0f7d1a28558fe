// The no-op order's one activity: reports the wall-clock time it ran at (same machine as the bench).
export const noopActivities = {
  async markDone(): Promise<number> {
    return Date.now();
  },
};

export type NoopActivities = typeof noopActivities;
