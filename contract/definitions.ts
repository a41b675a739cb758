/**
 * Signals and queries of the `incident` workflow. The workflow, the CLI, the demo and the
 * tests import these, so the names and payloads are written once.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { actionArgs } from './actions';
import { proofFields } from './identity';
import type { IncidentProgress } from './progress';

/** A decision carries one proof at most, and a signature says when it was made. */
function oneProof(d: { code?: string | undefined; signature?: string | undefined; signedAt?: string | undefined }, ctx: z.RefinementCtx): void {
  if (d.code !== undefined && d.signature !== undefined) ctx.addIssue({ code: 'custom', path: ['code'], message: 'send a code or a signature, not both' });
  if (d.signature !== undefined && d.signedAt === undefined)
    ctx.addIssue({ code: 'custom', path: ['signedAt'], message: 'a signature needs the signedAt time it covers' });
}

export const WORKFLOW_TYPE = 'incident';

/**
 * Payload of `approve`. One JSON object, so the Temporal UI's "Send Signal" form can send it:
 * `{"step": "restart-gateway", "by": "alice", "code": "492 113", "comment": "key rotated, go"}`.
 * A step whose `approval.identity` is `proven` needs the approver's current authenticator
 * `code` (or an SSH `signature` with `signedAt`), checked by the worker.
 */
const approvalFields = z.object({
  step: z.string().min(1, 'name the step being approved'),
  by: z.string().min(1, 'say who approves ("by")'),
  comment: z.string().max(2000).optional(),
  ...proofFields,
});
export const approvalDecision = approvalFields.superRefine(oneProof);
export type ApprovalDecision = z.infer<typeof approvalDecision>;

/**
 * Payload of `deny`: `{"step": "restart-gateway", "by": "bob", "reason": "still leaking"}`.
 * The step's `approval.onDeny` decides whether the incident aborts or skips the step.
 */
const denyFields = z.object({
  step: z.string().min(1, 'name the step being denied'),
  by: z.string().min(1, 'say who denies ("by")'),
  reason: z.string().min(1, 'give a reason').max(2000),
  ...proofFields,
});
export const denyDecision = denyFields.superRefine(oneProof);
export type DenyDecision = z.infer<typeof denyDecision>;

/**
 * Payload of `operator`: the answer to a failed step whose policy is `ask`:
 * `{"step": "restore-workspace", "by": "alice", "decision": "retry"}`.
 */
export const operatorDecision = z.object({
  step: z.string().min(1, 'name the failed step'),
  by: z.string().min(1, 'say who decides ("by")'),
  decision: z.enum(['retry', 'skip', 'abort']),
  comment: z.string().max(2000).optional(),
});
export type OperatorDecision = z.infer<typeof operatorDecision>;

/**
 * Payload of `control`: a durable control that now prevents a repeat (rule 7). A prompt
 * change is never one. `{"kind": "approval-gate", "note": "deploys need two approvals", "by": "alice"}`
 */
export const controlRecord = z.object({
  kind: actionArgs.recordControl.shape.kind,
  note: z.string().min(1).max(2000),
  by: z.string().min(1, 'say who records it ("by")'),
});
export type ControlInput = z.infer<typeof controlRecord>;

/**
 * Payload of `alert`: one notification from an alerting system (Alertmanager, Grafana,
 * PagerDuty, a script) about the alert group this incident was started for. The intake sends
 * it with the start and with every repeat; it is recorded in the timeline, nothing more: a
 * `resolved` notification never closes an incident, the playbook decides that.
 * `{"source": "alertmanager", "status": "resolved", "fingerprint": "{}:{alertname=\"KeyLeak\"}", "summary": "...", "receivedAt": "2026-11-22T03:12:09.120Z"}`
 */
export const alertNotice = z.object({
  source: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'name the sender, e.g. "alertmanager"'),
  status: z.enum(['firing', 'resolved']),
  /** The sender's stable key for the alert group (group key, fingerprint, incident id). */
  fingerprint: z.string().min(1).max(300),
  summary: z.string().max(500),
  /** When the intake received the notification (ISO 8601). */
  receivedAt: z.iso.datetime({ offset: true }),
});
export type AlertNotice = z.infer<typeof alertNotice>;
/** Payload of `pause`: `{"by": "alice", "reason": "checking the backup first"}`. */
export const pauseRequest = z.object({
  by: z.string().min(1, 'say who pauses ("by")'),
  reason: z.string().max(2000).optional(),
});
export type PauseRequest = z.infer<typeof pauseRequest>;

/** Payload of `resume`: `{"by": "alice", "comment": "backup checked"}`. */
export const resumeRequest = z.object({
  by: z.string().min(1, 'say who resumes ("by")'),
  comment: z.string().max(2000).optional(),
});
export type ResumeRequest = z.infer<typeof resumeRequest>;

/**
 * Argument of the `decide` update: an approval or a denial, answered with the outcome or a
 * rejection that says why. `{"decision": "approve", "step": "restore-backup", "by": "alice"}`
 */
export const decideRequest = z
  .discriminatedUnion('decision', [approvalFields.extend({ decision: z.literal('approve') }), denyFields.extend({ decision: z.literal('deny') })])
  .superRefine(oneProof);
export type DecideRequest = z.infer<typeof decideRequest>;

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
export const approveSignal = defineSignal<[z.input<typeof approvalDecision>]>('approve');
/** Deny a step that waits for approval. */
export const denySignal = defineSignal<[z.input<typeof denyDecision>]>('deny');
/** Answer a failed step whose policy is `ask`: retry, skip or abort. */
export const operatorSignal = defineSignal<[OperatorDecision]>('operator');
/** Record a durable control on the incident. */
export const controlSignal = defineSignal<[ControlInput]>('control');
/** Record an alert notification (a repeat, or the resolution) in the timeline. */
export const alertSignal = defineSignal<[AlertNotice]>('alert');
/** Hold the incident: no new step starts until `resume`. */
export const pauseSignal = defineSignal<[PauseRequest]>('pause');
/** Let a paused incident go on. */
export const resumeSignal = defineSignal<[ResumeRequest]>('resume');
/** Approve or deny a waiting step, with an answer: what the CLI uses. */
export const decideUpdate = defineUpdate<DecideResult, [z.input<typeof decideRequest>]>('decide');
/** The incident's full progress: steps, approvals waiting, timeline. */
export const progressQuery = defineQuery<IncidentProgress>('progress');

export const DESCRIPTIONS = {
  approve:
    'Approve a waiting step. Payload: {"step": "<step id>", "by": "<name>", "code": "<6 digits from your authenticator, when the step needs a proven identity>", "comment": "<optional>"}',
  deny: 'Deny a waiting step (aborts or skips per the step). Payload: {"step": "<step id>", "by": "<name>", "reason": "<why>", "code": "<6 digits, when the step needs a proven identity>"}',
  alert:
    'Record an alert notification in the timeline (a resolved alert never closes the incident). Payload: {"source": "<sender>", "status": "firing"|"resolved", "fingerprint": "<group key>", "summary": "<text>", "receivedAt": "<ISO time>"}',
  progress: 'Incident progress: phase, every step with status and attempts, pending approvals (and on whom they wait), controls, undo, timeline.',
  pause: 'Hold the incident: the running step finishes, no new step starts until resume. Payload: {"by": "<name>", "reason": "<optional>"}',
  resume: 'Let a paused incident go on. Payload: {"by": "<name>", "comment": "<optional>"}',
  decide:
    'Approve or deny a waiting step and get an answer (the CLI uses this). Rejected, with the reason, for an unknown step, a step not waiting, a duplicate or a not-allowed approver, or a missing or invalid proof of identity. Payload: {"decision": "approve", "step": "<step id>", "by": "<name>", "code": "<6 digits>", "comment": "<optional>"} or {"decision": "deny", "step": "<step id>", "by": "<name>", "reason": "<why>"}',
  operator: 'Answer a failed step that asks the operator. Payload: {"step": "<step id>", "by": "<name>", "decision": "retry" | "skip" | "abort"}',
  control:
    'Record a durable control (required before an incident from a playbook closes). Payload: {"kind": "approval-gate", "note": "<what now prevents a repeat>", "by": "<name>"}. Kinds: removed-endpoint, narrowed-scope, rotated-credential, scrub-rule, circuit-breaker, lane-isolation, review-gate, parse-gate, approval-gate',
} as const;

/** Search attributes the incident sets, registered on the embedded server at start. */
export const SEARCH_ATTRIBUTES = {
  IncidentClass: 'Keyword',
  IncidentSeverity: 'Keyword',
  IncidentPhase: 'Keyword',
  /** `drill` or `live`: drills are findable (and filterable) as drills in the Web UI. */
  IncidentMode: 'Keyword',
} as const;

/**
 * Memo fields an incident carries, read by `tourniquet list` without asking a worker: the
 * client sets the title and mode at start, the workflow keeps the state current.
 */
export const TITLE_MEMO = 'title';
export const MODE_MEMO = 'mode';
export const STATE_MEMO = 'state';
