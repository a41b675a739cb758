import type { Client } from '@temporalio/client';
import { parseIncident, startIncident, type StartOptions } from '../../client/incidents';

/** Start from a draft the way every edge does: parse it once, then start. */
export const startDraft = async (client: Client, draft: unknown, o: StartOptions) => startIncident(client, parseIncident(draft), o);
