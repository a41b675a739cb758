/**
 * `tourniquet report` and `tourniquet close`: the incident note from the `progress` query and
 * the workflow history, and the closure check.
 */
import type { Client } from '@temporalio/client';
import { closureProblems } from '../contract/rules';
import type { IncidentProgress } from '../contract';
import { Problem } from '../common/errors';
import { historyLines } from './history';
import { getProgress } from './incidents';
import { renderNote } from '../common/note';

/** The sanitized markdown note of an incident, open or ended. */
export async function incidentReport(client: Client, id: string, now = new Date()): Promise<{ progress: IncidentProgress; markdown: string }> {
  const progress = await getProgress(client, id);
  const history = await client.workflow.getHandle(id).fetchHistory();
  return { progress, markdown: renderNote(progress, now.toISOString(), { history: historyLines(history.events ?? []) }) };
}

export interface Closure {
  id: string;
  closed: boolean;
  state: IncidentProgress['state'];
  /** What keeps it from closing; empty when closed. */
  missing: string[];
  controls: string[];
  note?: string;
}

/**
 * Whether the incident is closed: resolved, with a durable control and its note written.
 * Closure is the end of the incident's own flow (the note is its last step, and it waits for a
 * control); this verifies it and says what is missing.
 */
export async function checkClosure(client: Client, id: string): Promise<Closure> {
  const progress = await getProgress(client, id);
  const missing = closureProblems(progress);
  const note = progress.steps.find((s) => s.action === 'writeNote' && s.status === 'succeeded')?.result?.path;
  return {
    id,
    closed: missing.length === 0,
    state: progress.state,
    missing,
    controls: progress.controls.map((c) => `${c.kind}: ${c.note} (by ${c.by})`),
    ...(typeof note === 'string' ? { note } : {}),
  };
}

/** `checkClosure`, throwing a `Refused` error that lists what is missing. */
export async function closeIncident(client: Client, id: string): Promise<Closure> {
  const closure = await checkClosure(client, id);
  if (!closure.closed) throw new Problem('Refused', `incident ${id} cannot close yet:\n  - ${closure.missing.join('\n  - ')}`);
  return closure;
}
