import type { Client } from '@temporalio/client';
import { parseIncident, startIncident, type StartOptions } from '../../client/incidents';

/** Start from a draft the way every edge does: parse it once, then start. */
export const startDraft = async (client: Client, draft: unknown, o: StartOptions) => startIncident(client, parseIncident(draft), o);

/**
 * The same incident with typed names believed at every gate (`identity: asserted`): for tests
 * about something other than who approves (approver identity has its own test).
 */
export function namesBelieved<T extends { steps: { approval?: object | undefined }[] }>(input: T): T {
  return { ...input, steps: input.steps.map((s) => (s.approval ? { ...s, approval: { ...s.approval, identity: 'asserted' } } : s)) };
}
