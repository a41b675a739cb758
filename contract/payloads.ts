/**
 * The zod schemas of the incident's signal and update payloads, for the edges that send them
 * (the CLI, the client library, the intake). The workflow checks the same payloads with the
 * zod-free guards of `checks.ts`, so zod stays out of its sandbox; a unit test holds the two
 * to the same verdicts.
 */
import { z } from 'zod';
import { actionArgs } from './actions';

/** The proof fields a decision may carry; at most one of `code` and `signature`. */
export const proofFields = {
  /** The approver's current authenticator code, 6 digits; spaces are tolerated ("492 113"). */
  code: z
    .string()
    .transform((c) => c.replace(/\s+/g, ''))
    .pipe(z.string().regex(/^\d{6}$/, 'code must be the 6 digits your authenticator app shows now'))
    .optional(),
  /** An `ssh-keygen -Y sign -n tourniquet-approval` signature (armored) of {@link signedMessage}. */
  signature: z.string().includes('BEGIN SSH SIGNATURE', { message: 'signature must be the armored output of ssh-keygen -Y sign' }).max(10_000).optional(),
  /** When the signature was made (ISO 8601): part of the signed text. */
  signedAt: z.iso.datetime({ offset: true }).optional(),
};

/** A decision carries one proof at most, and a signature says when it was made. */
function oneProof(d: { code?: string | undefined; signature?: string | undefined; signedAt?: string | undefined }, ctx: z.RefinementCtx): void {
  if (d.code !== undefined && d.signature !== undefined) ctx.addIssue({ code: 'custom', path: ['code'], message: 'send a code or a signature, not both' });
  if (d.signature !== undefined && d.signedAt === undefined)
    ctx.addIssue({ code: 'custom', path: ['signedAt'], message: 'a signature needs the signedAt time it covers' });
}

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
export type ApprovalDecisionInput = z.input<typeof approvalDecision>;

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
export type DenyDecisionInput = z.input<typeof denyDecision>;

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
  /** What the intake decided about this delivery and why (re-fired, correlated, flapping), for the timeline. */
  note: z.string().max(500).optional(),
  /** The earlier incident of the same alert key or group that this one follows up. */
  follows: z.string().min(1).max(300).optional(),
  /** The alert is flapping: raise the incident's severity one level (the first time only). */
  raiseSeverity: z.boolean().optional(),
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
export type DecideRequestInput = z.input<typeof decideRequest>;
