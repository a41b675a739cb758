/**
 * Signals and queries of the `incident` workflow. The workflow, the CLI, the demo and the
 * tests import these, so the names and payloads are written once. Free of zod: the workflow
 * imports this module (the payloads' schemas are in `payloads.ts`).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AlertNotice,
  ApprovalDecisionInput,
  ControlInput,
  DecideRequestInput,
  DenyDecisionInput,
  OperatorDecision,
  PauseRequest,
  ResumeRequest,
} from './payloads';
import type { IncidentProgress } from './progress';
import { PROGRESS_QUERY } from './names';

export { WORKFLOW_TYPE } from './names';

/**
 * The memo field a start carries when its client parsed the input with the schema (the client
 * library's `startIncident` does, for the CLI, the intake and playbooks). The workflow checks
 * the input of a start without it (the Temporal UI, another SDK) itself.
 */
export const INPUT_CHECKED_MEMO = 'tourniquetInputChecked';

/** What `decide` answers when it applied the decision. */
export interface DecideResult {
  step: string;
  decision: 'approve' | 'deny';
  by: string;
  /** Everyone who approved the step so far. */
  approvedBy: string[];
  /** Distinct approvals still needed (0 once the step is approved, or after a deny). */
  needed: number;
  /** True once the gate is decided: approved by the quorum, or denied. */
  decided: boolean;
}

/**
 * Why `decide` refuses a decision: the `type` of the ApplicationFailure its validator throws.
 * A refused update changes nothing and leaves no trace in the history.
 */
export const DECISION_REJECTIONS = {
  /** The payload does not match `decideRequest`. */
  InvalidDecision: 'the payload is malformed',
  /** No step with that id. */
  UnknownStep: 'the incident has no such step',
  /** The step exists but does not wait for approval (not yet, or decided already). */
  StepNotWaiting: 'the step is not waiting for approval',
  /** This person already approved the step: a quorum needs distinct people. */
  DuplicateApprover: 'the approver already approved this step',
  /** Not in the step's approvers, or the requester where the requester may not approve. */
  ApproverNotAllowed: 'the approver may not decide this step',
  /** The step needs a proven identity and the decision's code or signature is missing, wrong, expired or spent. */
  IdentityNotProven: 'the decision carries no valid proof of who sent it',
} as const;
export type DecisionRejection = keyof typeof DECISION_REJECTIONS;

/** Approve a step that waits for approval. */
export const approveSignal = defineSignal<[ApprovalDecisionInput]>('approve');
/** Deny a step that waits for approval. */
export const denySignal = defineSignal<[DenyDecisionInput]>('deny');
/** Answer a failed step whose policy is `ask`: retry, skip or abort. */
export const operatorSignal = defineSignal<[OperatorDecision]>('operator');
/** Record a durable control on the incident. */
export const controlSignal = defineSignal<[ControlInput]>('control');
/** Record an alert notification (a repeat, or the resolution) in the timeline. */
export const alertSignal = defineSignal<[AlertNotice]>('alert');
/** Record several notices of one incident's alert at once, in order: the intake's batch of repeats. */
export const alertsSignal = defineSignal<[AlertNotice[]]>('alerts');
/** Hold the incident: no new step starts until `resume`. */
export const pauseSignal = defineSignal<[PauseRequest]>('pause');
/** Let a paused incident go on. */
export const resumeSignal = defineSignal<[ResumeRequest]>('resume');
/** Approve or deny a waiting step, with an answer: what the CLI uses. */
export const decideUpdate = defineUpdate<DecideResult, [DecideRequestInput]>('decide');
/** The incident's full progress: steps, approvals waiting, timeline. */
export const progressQuery = defineQuery<IncidentProgress>(PROGRESS_QUERY);

export const DESCRIPTIONS = {
  approve:
    'Approve a waiting step. Payload: {"step": "<step id>", "by": "<name>", "code": "<6 digits from your authenticator, when the step needs a proven identity>", "comment": "<optional>"}',
  deny: 'Deny a waiting step (aborts or skips per the step). Payload: {"step": "<step id>", "by": "<name>", "reason": "<why>", "code": "<6 digits, when the step needs a proven identity>"}',
  alert:
    'Record an alert notification in the timeline (a resolved alert never closes the incident). Payload: {"source": "<sender>", "status": "firing"|"resolved", "fingerprint": "<group key>", "summary": "<text>", "receivedAt": "<ISO time>"}',
  alerts: 'Record several alert notifications at once, in order (the intake batches repeats that arrive together). Payload: [<alert payload>, ...]',
  progress: 'Incident progress: phase, every step with status and attempts, pending approvals (and on whom they wait), controls, undo, timeline.',
  pause: 'Hold the incident: the running step finishes, no new step starts until resume. Payload: {"by": "<name>", "reason": "<optional>"}',
  resume: 'Let a paused incident go on. Payload: {"by": "<name>", "comment": "<optional>"}',
  decide:
    'Approve or deny a waiting step and get an answer (the CLI uses this). Rejected, with the reason, for an unknown step, a step not waiting, a duplicate or a not-allowed approver, or a missing or invalid proof of identity. Payload: {"decision": "approve", "step": "<step id>", "by": "<name>", "code": "<6 digits>", "comment": "<optional>"} or {"decision": "deny", "step": "<step id>", "by": "<name>", "reason": "<why>"}',
  operator: 'Answer a failed step that asks the operator. Payload: {"step": "<step id>", "by": "<name>", "decision": "retry" | "skip" | "abort"}',
  control:
    'Record a durable control (required before an incident from a playbook closes). Payload: {"kind": "approval-gate", "note": "<what now prevents a repeat>", "by": "<name>"}. Kinds: removed-endpoint, narrowed-scope, rotated-credential, scrub-rule, circuit-breaker, lane-isolation, review-gate, parse-gate, approval-gate',
} as const;

export { MODE_MEMO, SEARCH_ATTRIBUTES, STATE_MEMO, TITLE_MEMO } from './names';
