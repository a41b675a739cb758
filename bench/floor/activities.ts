/** The floor workflow's one activity: does nothing, so only Temporal's round trip is left. */
export const floorActivities = {
  async noop(): Promise<void> {},
  /** The moment it ran, on the worker's clock: when a burst's floor "contained" its incident. */
  async stamp(): Promise<number> {
    return Date.now();
  },
};
