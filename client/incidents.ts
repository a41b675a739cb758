/**
 * Client-side incident operations shared by the CLI, the demo, the intake and the tests:
 * validate and start, read progress, send decisions. Errors are `Problem`s that say what to fix.
 */
import { createHash, randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, TypedSearchAttributes } from '@temporalio/common';
import {
  INITIAL_STATE,
  INPUT_CHECKED_MEMO,
  alertSignal,
  controlSignal,
  decideUpdate,
  FINAL_STATES,
  operatorSignal,
  pauseSignal,
  resumeSignal,
  type DecideRequest,
  type DecideResult,
  type DecisionRejection,
  type PauseRequest,
  type ResumeRequest,
  type ControlInput,
  type OperatorDecision,
  formatIssues,
  incidentInputSchema,
  phaseOf,
  progressQuery,
  MODE_MEMO,
  SEARCH_ATTRIBUTES,
  STATE_MEMO,
  TITLE_MEMO,
  WORKFLOW_TYPE,
  type AlertNotice,
  type ApprovalDecision,
  type DenyDecision,
  type IncidentInput,
  type IncidentProgress,
} from '../contract';
import type { incident } from '../workflows';
import { INCIDENT_CLASS_KEY, INCIDENT_MODE_KEY, INCIDENT_PHASE_KEY, INCIDENT_SEVERITY_KEY } from '../contract/search-attributes';
import { Problem, type ProblemKind } from '../common/errors';
import { unknownIncident } from './problems';

/** Parse a draft into workflow input; a bad field is reported with its path. */
export function parseIncident(draft: unknown): IncidentInput {
  const parsed = incidentInputSchema.safeParse(draft);
  if (!parsed.success) throw new Problem('InvalidInput', `invalid incident:\n  ${formatIssues(parsed.error).join('\n  ')}`);
  return parsed.data;
}

/**
 * A readable, unique id: `inc-20261122-secret-exposure-3f9a0c7d12e4`. Six random bytes: a
 * collision within one class and day is unlikely below millions of incidents, and a start that
 * collides anyway is refused (`IncidentExists`), never folded into the older incident.
 */
export function incidentId(input: Pick<IncidentInput, 'class'>, now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  return `inc-${day}-${input.class}-${randomBytes(6).toString('hex')}`;
}

/**
 * The id of the one incident for a deduplication key (an alert group, a fingerprint):
 * `inc-secret-exposure-5d41402abc4b2a76`. Stable, so every delivery for the key names the same
 * incident; no date in it, so a group that keeps firing past midnight stays one incident.
 */
export function dedupedIncidentId(input: Pick<IncidentInput, 'class'>, key: string): string {
  return `inc-${input.class}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

const registeredAttributes = new WeakMap<Client, Promise<ReadonlySet<string>>>();

/**
 * Which of tourniquet's search attributes the server has registered (asked once per client). A
 * namespace set up before an attribute existed still gets the ones it has.
 */
function searchAttributesOf(client: Client): Promise<ReadonlySet<string>> {
  let known = registeredAttributes.get(client);
  if (!known) {
    known = client.connection.operatorService
      .listSearchAttributes({ namespace: client.options.namespace })
      .then((r) => new Set(Object.keys(SEARCH_ATTRIBUTES).filter((name) => name in (r.customAttributes ?? {}))))
      .catch(() => {
        // A server that is down now may answer later: ask again next time instead of
        // remembering "unsupported" for the life of a long-running process (the intake).
        registeredAttributes.delete(client);
        return new Set<string>();
      });
    registeredAttributes.set(client, known);
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
   * however many deliveries race. An id is never reused: when its incident has ended the start
   * is refused (`WorkflowExecutionAlreadyStartedError`) and the caller decides what the firing
   * means (the intake's reopen window: a follow-up under a new id, or only a record).
   * `follows`: the earlier incident this one follows up, kept in the memo.
   */
  dedupe?: { key: string; alert: AlertNotice; follows?: string };
}

export interface StartedIncident {
  id: string;
  input: IncidentInput;
  handle: WorkflowHandle<typeof incident>;
  /** The run that was started, or, with `dedupe`, the run that was signaled (new or existing). */
  runId: string | undefined;
}

/**
 * Start an incident from parsed input: parse drafts once at the edge (`parseIncident`, or the
 * compiler, which returns parsed input), never again on the way. The workflow keeps its own guard.
 */
export async function startIncident(client: Client, input: IncidentInput, o: StartOptions): Promise<StartedIncident> {
  const id = o.id ?? (o.dedupe ? dedupedIncidentId(input, o.dedupe.key) : incidentId(input));
  const registered = await searchAttributesOf(client);
  // The workflow upserts the phase only when the class is there (both come with a namespace set up by tourniquet).
  const attributes = [
    { key: INCIDENT_CLASS_KEY, value: input.class },
    { key: INCIDENT_SEVERITY_KEY, value: input.severity },
    { key: INCIDENT_PHASE_KEY, value: phaseOf(input.steps[0]!) },
    { key: INCIDENT_MODE_KEY, value: input.mode },
  ].filter((a) => registered.has(a.key.name));
  const options = {
    taskQueue: o.taskQueue,
    workflowId: id,
    args: [input] as [IncidentInput],
    staticSummary: incidentSummary(input),
    staticDetails: incidentDetails(input),
    // The input is an `IncidentInput`, parsed by the schema: the workflow need not check it again.
    // The state and the phase above are what the workflow would record first: it records only changes.
    memo: { [INPUT_CHECKED_MEMO]: true, [TITLE_MEMO]: input.title, [MODE_MEMO]: input.mode, [STATE_MEMO]: INITIAL_STATE },
    ...(attributes.length ? { typedSearchAttributes: new TypedSearchAttributes(attributes) } : {}),
  };
  if (o.dedupe) {
    const handle = await client.workflow.signalWithStart<typeof incident, [AlertNotice]>(WORKFLOW_TYPE, {
      ...options,
      signal: alertSignal,
      signalArgs: [o.dedupe.alert],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      ...(o.dedupe.follows ? { memo: { ...options.memo, follows: o.dedupe.follows } } : {}),
    });
    return { id, input, handle, runId: handle.signaledRunId };
  }
  // An id names one incident for good: a new start may neither join a running incident nor
  // reuse the id of a closed one.
  const handle = await client.workflow
    .start<typeof incident>(WORKFLOW_TYPE, { ...options, workflowIdReusePolicy: 'REJECT_DUPLICATE', workflowIdConflictPolicy: 'FAIL' })
    .catch((err: unknown) => {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw new Problem('IncidentExists', `an incident with id "${id}" already exists on this server (running or closed); start it under another id`);
      }
      throw err;
    });
  return { id, input, handle, runId: handle.firstExecutionRunId };
}

export async function getProgress(client: Client, id: string): Promise<IncidentProgress> {
  try {
    return await client.workflow.getHandle(id).query(progressQuery);
  } catch (err) {
    throw notFound(err, id) ?? err;
  }
}

function notFound(err: unknown, id: string): Problem | undefined {
  if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5) {
    return unknownIncident(id);
  }
  return undefined;
}

/** Where a refused decision lands in the CLI's exit codes. */
const REJECTION_KIND: Record<DecisionRejection, ProblemKind> = {
  InvalidDecision: 'InvalidInput',
  UnknownStep: 'UnknownStep',
  StepNotWaiting: 'UnknownStep',
  DuplicateApprover: 'Refused',
  IdentityNotProven: 'IdentityNotProven',
  ApproverNotAllowed: 'Refused',
};

/**
 * Approve or deny through the `decide` update: the workflow checks the decision and answers
 * with the outcome, or with why it refused (unknown step, not waiting, duplicate or
 * not-allowed approver) as a `Problem` of the matching kind.
 */
export async function decide(client: Client, id: string, request: DecideRequest): Promise<DecideResult> {
  try {
    return await client.workflow.getHandle(id).executeUpdate(decideUpdate, { args: [request] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      const type = err.cause.type as DecisionRejection;
      const kind = REJECTION_KIND[type] ?? 'Refused';
      throw new Problem(kind, `${request.decision} of step "${request.step}" on ${id} refused: ${err.cause.message}`);
    }
    throw (await whyNot(client, id, err)) ?? err;
  }
}

/** Approve a waiting step (the `decide` update). */
export function approve(client: Client, id: string, decision: ApprovalDecision): Promise<DecideResult> {
  return decide(client, id, { decision: 'approve', ...decision });
}

/** Deny a waiting step (the `decide` update); the step's onDeny decides what happens next. */
export function deny(client: Client, id: string, decision: DenyDecision): Promise<DecideResult> {
  return decide(client, id, { decision: 'deny', ...decision });
}

/** An unknown incident, or one that has ended, said plainly; undefined for anything else. */
async function whyNot(client: Client, id: string, err: unknown): Promise<Problem | undefined> {
  const missing = notFound(err, id);
  try {
    const description = await client.workflow.getHandle(id).describe();
    if (description.status.name !== 'RUNNING')
      return new Problem('UnknownStep', `incident ${id} has ended (${description.status.name.toLowerCase()}); nothing is waiting on it`);
  } catch (describeErr) {
    return notFound(describeErr, id) ?? missing;
  }
  return missing;
}

/** An open incident's progress, or a Problem saying it has ended. */
async function openProgress(client: Client, id: string, what: string): Promise<IncidentProgress> {
  const progress = await getProgress(client, id);
  if (FINAL_STATES.has(progress.state)) throw new Problem('UnknownStep', `incident ${id} has ended (${progress.state}); ${what}`);
  return progress;
}

export async function recordControl(client: Client, id: string, control: ControlInput): Promise<void> {
  await openProgress(client, id, 'controls are recorded while it is open');
  await client.workflow.getHandle(id).signal(controlSignal, control);
}

export async function answerOperator(client: Client, id: string, decision: OperatorDecision): Promise<void> {
  const progress = await getProgress(client, id);
  const waiting = progress.pendingOperator;
  if (!waiting || waiting.step !== decision.step) {
    throw new Problem('UnknownStep', `step "${decision.step}" of ${id} is not waiting for an operator${waiting ? `; "${waiting.step}" is` : ''}`);
  }
  await client.workflow.getHandle(id).signal(operatorSignal, decision);
}

/** Hold the incident: the running step finishes, no new step starts until `resume`. */
export async function pauseIncident(client: Client, id: string, request: PauseRequest): Promise<void> {
  const progress = await openProgress(client, id, 'there is nothing to pause');
  if (progress.paused) throw new Problem('UnknownStep', `incident ${id} is already paused (by ${progress.paused.by} at ${progress.paused.at})`);
  await client.workflow.getHandle(id).signal(pauseSignal, request);
}

/** Let a paused incident go on. */
export async function resumeIncident(client: Client, id: string, request: ResumeRequest): Promise<void> {
  const progress = await openProgress(client, id, 'there is nothing to resume');
  if (!progress.paused) throw new Problem('UnknownStep', `incident ${id} is not paused (it is ${progress.state})`);
  await client.workflow.getHandle(id).signal(resumeSignal, request);
}

/**
 * Cancel an open incident: the workflow stops where it is and undoes each change made so far,
 * newest first (see workflows/saga.ts). Returns once the cancellation is requested.
 */
export async function cancelIncident(client: Client, id: string): Promise<void> {
  await openProgress(client, id, 'there is nothing to cancel');
  await client.workflow.getHandle(id).cancel();
}

/** The workflow's summary in the Temporal UI: what the incident is, in one line. */
export function incidentSummary(input: IncidentInput): string {
  return `${input.mode === 'drill' ? 'DRILL ' : ''}${input.severity} ${input.class}: ${input.title}`;
}

/** The workflow's details in the Temporal UI: who started it, from which playbook, every step. */
export function incidentDetails(input: IncidentInput): string {
  const about = [
    `**${incidentSummary(input)}**`,
    [
      input.requestedBy ? `started by ${input.requestedBy}` : undefined,
      input.playbook ? `playbook ${input.playbook.name}` : 'raw incident',
      input.targets.length ? `targets: ${input.targets.join(', ')}` : undefined,
    ]
      .filter(Boolean)
      .join('; '),
    '',
  ];
  const steps = input.steps.map((s, i) => {
    const a = s.approval?.required ? s.approval : undefined;
    const gate = a ? ` (needs ${a.quorum > 1 ? `${a.quorum} approvals` : 'approval'}${a.approvers?.length ? ` from ${a.approvers.join(', ')}` : ''})` : '';
    return `${i + 1}. [${phaseOf(s)}] ${s.id}: ${s.action}${gate}`;
  });
  return [...about, ...steps, '', 'Approve with the signal `approve` and the input `{"step": "<step id>", "by": "<your name>"}`.'].join('\n');
}
