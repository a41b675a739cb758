/**
 * `tourniquet list`: which incidents, and one row each, from what the server keeps about the
 * workflow (status, start time, memo, search attributes), without asking a worker. Both the
 * lean client (client/lean/) and the SDK fill an `ExecutionSummary`, so the rows are the same.
 */
import type { Client } from '@temporalio/client';
import { MODE_MEMO, SEARCH_ATTRIBUTES, STATE_MEMO, TITLE_MEMO, WORKFLOW_TYPE } from '../contract/names';

/** What `list` reads of one workflow execution. */
export interface ExecutionSummary {
  workflowId: string;
  /** The SDK's name of the execution status: RUNNING, COMPLETED, TERMINATED... */
  status: string;
  startTime: Date;
  memo: Record<string, unknown>;
  /** The incident's keyword search attributes that are set, by name. */
  keywords: Partial<Record<keyof typeof SEARCH_ATTRIBUTES, string>>;
}

/** One row of `tourniquet list`. */
export interface IncidentRow {
  id: string;
  /** The incident's own state (`awaiting-approval`, `resolved`...), as the workflow last recorded it. */
  state: string;
  mode: 'live' | 'drill';
  title?: string;
  class?: string;
  severity?: string;
  phase?: string;
  started: string;
  /** The workflow execution's status in Temporal (RUNNING, COMPLETED, TERMINATED...). */
  temporalStatus: string;
}

export interface ListFilter {
  open?: boolean;
  class?: string;
  severity?: string;
  phase?: string;
}

/** The visibility query for the filter. Values come from the CLI's closed lists (zod enums): nothing to escape. */
export function listQuery(f: ListFilter): string {
  const clauses = [`WorkflowType = '${WORKFLOW_TYPE}'`];
  if (f.open) clauses.push(`ExecutionStatus = 'Running'`);
  if (f.class) clauses.push(`IncidentClass = '${f.class}'`);
  if (f.severity) clauses.push(`IncidentSeverity = '${f.severity}'`);
  if (f.phase) clauses.push(`IncidentPhase = '${f.phase}'`);
  return clauses.join(' AND ');
}

export function incidentRow(e: ExecutionSummary): IncidentRow {
  const title = e.memo[TITLE_MEMO];
  return {
    id: e.workflowId,
    state: incidentState(e.status, e.memo[STATE_MEMO]),
    mode: e.memo[MODE_MEMO] === 'drill' ? 'drill' : 'live',
    ...optional('title', typeof title === 'string' ? title : undefined),
    ...optional('class', e.keywords.IncidentClass),
    ...optional('severity', e.keywords.IncidentSeverity),
    ...optional('phase', e.keywords.IncidentPhase),
    started: e.startTime.toISOString(),
    temporalStatus: e.status,
  };
}

/** The newest `limit` incidents matching the filter, through the SDK's client. */
export async function listIncidents(client: Client, f: ListFilter, limit: number): Promise<IncidentRow[]> {
  const { INCIDENT_CLASS_KEY, INCIDENT_PHASE_KEY, INCIDENT_SEVERITY_KEY } = await import('../contract/search-attributes');
  const rows: IncidentRow[] = [];
  for await (const wf of client.workflow.list({ query: listQuery(f), pageSize: limit })) {
    const sa = wf.typedSearchAttributes;
    rows.push(
      incidentRow({
        workflowId: wf.workflowId,
        status: wf.status.name,
        startTime: wf.startTime,
        memo: wf.memo ?? {},
        keywords: {
          ...optional('IncidentClass', sa.get(INCIDENT_CLASS_KEY)),
          ...optional('IncidentSeverity', sa.get(INCIDENT_SEVERITY_KEY)),
          ...optional('IncidentPhase', sa.get(INCIDENT_PHASE_KEY)),
        },
      }),
    );
    if (rows.length >= limit) break;
  }
  return rows;
}

/**
 * The state the workflow recorded in its memo; a workflow stopped from outside (terminated,
 * timed out) never got to record its end, and an incident from before the memo has none.
 */
function incidentState(status: string, memo: unknown): string {
  if (status === 'TERMINATED' || status === 'TIMED_OUT') return status.toLowerCase().replace('_', '-');
  if (typeof memo === 'string') return memo;
  return { RUNNING: 'running', COMPLETED: 'resolved', FAILED: 'failed', CANCELLED: 'cancelled' }[status] ?? status.toLowerCase();
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
