/** The floor workflow's one activity: does nothing, so only Temporal's round trip is left. */
export const floorActivities = {
  async noop(): Promise<void> {},
};
