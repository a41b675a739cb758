/**
 * Client-side incident operations shared by the CLI, the demo, the intake and the tests:
 * validate and start, read progress, send decisions. Errors are `CliError`s that say what to fix.
 */
import { createHash, randomBytes } from 'node:crypto';
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import {
  alertSignal,
  approveSignal,
  controlSignal,
  denySignal,
  FINAL_STATES,
  operatorSignal,
  type ControlInput,
  type OperatorDecision,
  formatIssues,
  incidentInputSchema,
  progressQuery,
  SEARCH_ATTRIBUTES,
  WORKFLOW_TYPE,
  type AlertNotice,
  type ApprovalDecision,
  type DenyDecision,
  type IncidentInput,
  type IncidentProgress,
} from '../workflows/contract';
import type { incident } from '../workflows';
import { INCIDENT_CLASS_KEY, INCIDENT_PHASE_KEY, INCIDENT_SEVERITY_KEY } from '../workflows/search-attributes';
import { phaseOf } from '../workflows/tracker';
import { CliError } from './errors';

/** Parse a draft into workflow input; a bad field is reported with its path. */
export function parseIncident(draft: unknown): IncidentInput {
  const parsed = incidentInputSchema.safeParse(draft);
  if (!parsed.success) throw new CliError('InvalidInput', `invalid incident:\n  ${formatIssues(parsed.error).join('\n  ')}`);
  return parsed.data;
}

/** A readable, unique id: `inc-20261122-secret-exposure-3f9a`. */
export function incidentId(input: Pick<IncidentInput, 'class'>, now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  return `inc-${day}-${input.class}-${randomBytes(2).toString('hex')}`;
}

/**
 * The id of the one incident for a deduplication key (an alert group, a fingerprint):
 * `inc-secret-exposure-5d41402abc4b2a76`. Stable, so every delivery for the key names the same
 * incident; no date in it, so a group that keeps firing past midnight stays one incident.
 */
export function dedupedIncidentId(input: Pick<IncidentInput, 'class'>, key: string): string {
  return `inc-${input.class}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

const searchAttributeSupport = new WeakMap<Client, Promise<boolean>>();

/** Whether the server has tourniquet's search attributes registered (checked once per client). */
function supportsSearchAttributes(client: Client): Promise<boolean> {
  let known = searchAttributeSupport.get(client);
  if (!known) {
    known = client.connection.operatorService
      .listSearchAttributes({ namespace: client.options.namespace })
      .then((r) => Object.keys(SEARCH_ATTRIBUTES).every((name) => name in (r.customAttributes ?? {})))
      .catch(() => {
        // A server that is down now may answer later: ask again next time instead of
        // remembering "unsupported" for the life of a long-running process (the intake).
        searchAttributeSupport.delete(client);
        return false;
      });
    searchAttributeSupport.set(client, known);
  }
  return known;
}

export interface StartOptions {
  taskQueue: string;
  id?: string;
  /**
   * Start at most one incident per key: the id comes from the key (`dedupedIncidentId`) and the
   * start is a signal-with-start of `alert` with the conflict policy USE_EXISTING, so when an
   * incident with that id is running, the alert is delivered to it and nothing new starts,
   * however many deliveries race. (A key whose incident has finished starts a new run.)
   */
  dedupe?: { key: string; alert: AlertNotice };
}

export interface StartedIncident {
  id: string;
  input: IncidentInput;
  handle: WorkflowHandle<typeof incident>;
  /** The run that was started, or, with `dedupe`, the run that was signaled (new or existing). */
  runId: string | undefined;
}

export async function startIncident(client: Client, draft: unknown, o: StartOptions): Promise<StartedIncident> {
  const input = parseIncident(draft);
  const id = o.id ?? (o.dedupe ? dedupedIncidentId(input, o.dedupe.key) : incidentId(input));
  const searchable = await supportsSearchAttributes(client);
  const options = {
    taskQueue: o.taskQueue,
    workflowId: id,
    args: [input] as [IncidentInput],
    staticSummary: `${input.severity} ${input.class}: ${input.title}`,
    staticDetails: input.steps.map((s, i) => `${i + 1}. [${phaseOf(s)}] ${s.id}: ${s.action}${s.approval?.required ? ' (needs approval)' : ''}`).join('\n'),
    ...(searchable
      ? {
          typedSearchAttributes: new TypedSearchAttributes([
            { key: INCIDENT_CLASS_KEY, value: input.class },
            { key: INCIDENT_SEVERITY_KEY, value: input.severity },
            { key: INCIDENT_PHASE_KEY, value: phaseOf(input.steps[0]!) },
          ]),
        }
      : {}),
  };
  if (o.dedupe) {
    const handle = await client.workflow.signalWithStart<typeof incident, [AlertNotice]>(WORKFLOW_TYPE, {
      ...options,
      signal: alertSignal,
      signalArgs: [o.dedupe.alert],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return { id, input, handle, runId: handle.signaledRunId };
  }
  const handle = await client.workflow.start<typeof incident>(WORKFLOW_TYPE, options);
  return { id, input, handle, runId: handle.firstExecutionRunId };
}

export async function getProgress(client: Client, id: string): Promise<IncidentProgress> {
  try {
    return await client.workflow.getHandle(id).query(progressQuery);
  } catch (err) {
    throw notFound(err, id) ?? err;
  }
}

function notFound(err: unknown, id: string): CliError | undefined {
  if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5) {
    return new CliError('UnknownIncident', `no incident "${id}" on this server: check the id with \`tourniquet list\``);
  }
  return undefined;
}

/** Check that a decision can apply before sending it, so the operator hears why not. */
function checkWaiting(progress: IncidentProgress, step: string): void {
  const found = progress.steps.find((s) => s.id === step);
  if (!found) {
    throw new CliError('UnknownStep', `incident ${progress.incidentId} has no step "${step}"; its steps are: ${progress.steps.map((s) => s.id).join(', ')}`);
  }
  if (found.status !== 'awaiting-approval') {
    const waiting = progress.pendingApprovals.map((p) => p.step);
    throw new CliError(
      'UnknownStep',
      `step "${step}" of ${progress.incidentId} is not waiting for approval (it is ${found.status})${waiting.length ? `; waiting: ${waiting.join(', ')}` : ''}`,
    );
  }
}

export async function approve(client: Client, id: string, decision: ApprovalDecision): Promise<void> {
  checkWaiting(await getProgress(client, id), decision.step);
  await client.workflow.getHandle(id).signal(approveSignal, decision);
}

export async function recordControl(client: Client, id: string, control: ControlInput): Promise<void> {
  const progress = await getProgress(client, id);
  if (FINAL_STATES.has(progress.state)) throw new CliError('UnknownStep', `incident ${id} has ended (${progress.state}); controls are recorded while it is open`);
  await client.workflow.getHandle(id).signal(controlSignal, control);
}

export async function answerOperator(client: Client, id: string, decision: OperatorDecision): Promise<void> {
  const progress = await getProgress(client, id);
  const waiting = progress.pendingOperator;
  if (!waiting || waiting.step !== decision.step) {
    throw new CliError('UnknownStep', `step "${decision.step}" of ${id} is not waiting for an operator${waiting ? `; "${waiting.step}" is` : ''}`);
  }
  await client.workflow.getHandle(id).signal(operatorSignal, decision);
}

export async function deny(client: Client, id: string, decision: DenyDecision): Promise<void> {
  checkWaiting(await getProgress(client, id), decision.step);
  await client.workflow.getHandle(id).signal(denySignal, decision);
}
