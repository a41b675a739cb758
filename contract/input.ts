/**
 * The incident workflow's input: the one format every entry point (CLI flags, files,
 * playbooks, webhooks) is compiled into, so the workflow history records exactly what ran.
 */
import { z } from 'zod';
import { actionArgs } from './actions';
import { PHASES, type ActionName } from './catalogue';
import { IDENTITY_LEVELS } from './identity';
import { INCIDENT_CLASSES, SEVERITIES } from './grammar';
import { STEP_ID_PATTERN } from './parallel';
import { fanOutSpec, groupSpec } from './parallel-schema';

export { INCIDENT_CLASSES } from './grammar';
export { formatIssues } from './issues';
export const incidentClass = z.enum(INCIDENT_CLASSES);
export type IncidentClass = z.infer<typeof incidentClass>;

export const severity = z.enum(SEVERITIES);

export const phase = z.enum(PHASES);

export const identityLevel = z.enum(IDENTITY_LEVELS);

export const duration = z
  .union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'must look like "500ms", "30s", "5m" or "1h"')])
  .describe('milliseconds, or a string such as "30s"');

export const retrySpec = z.object({
  maximumAttempts: z.number().int().min(1).max(100).optional(),
  initialInterval: duration.optional(),
  backoffCoefficient: z.number().min(1).max(10).optional(),
  maximumInterval: duration.optional(),
});

export const timeoutSpec = z.object({
  startToClose: duration.optional(),
  scheduleToClose: duration.optional(),
  heartbeat: duration.optional(),
});

/** One level of escalation: the group asked next when an approval times out. */
export const escalationLevel = z.object({
  /** The group's name (from the inventory), for messages. */
  group: z.string().min(1),
  /** Its members: they may approve from this level on. */
  approvers: z.array(z.string().min(1)).min(1),
});
export type EscalationLevel = z.infer<typeof escalationLevel>;

export const approvalSpec = z
  .object({
    required: z.boolean().default(true),
    /** What a `deny` does: abort the incident, or skip this step and go on. */
    onDeny: z.enum(['abort', 'skip']).default('abort'),
    /** Who may approve (names). Empty or absent: anyone. */
    approvers: z.array(z.string().min(1)).optional(),
    /** How many distinct approvers are needed. */
    quorum: z.number().int().min(1).max(10).default(1),
    /**
     * Whether the person who started the incident (`requestedBy`) may approve this step.
     * Absent: not for S1 incidents, yes otherwise (see `requesterMayApprove`).
     */
    allowRequester: z.boolean().optional(),
    /** How long to wait for the decision; absent: wait as long as it takes. */
    timeout: duration.optional(),
    /**
     * What happens when the timeout passes with no decision. `escalate`: widen the gate to the
     * next group of `escalateTo`, announce it, and wait another `timeout`; once every group
     * was asked, the next timeout aborts.
     */
    onTimeout: z.enum(['abort', 'skip', 'proceed', 'escalate']).default('abort'),
    /** The groups asked in turn when `onTimeout` is `escalate`. */
    escalateTo: z.array(escalationLevel).optional(),
    /**
     * How a decision proves who sent it: `proven` (an enrolled approver's code or SSH
     * signature, checked by the worker) or `asserted` (the typed name). Absent: `proven` in
     * S1 incidents and for destructive steps, `asserted` otherwise (see `identityFor`).
     */
    identity: identityLevel.optional(),
  })
  .superRefine((a, ctx) => {
    if (a.onTimeout !== 'escalate') return;
    if (a.timeout === undefined) ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'onTimeout: escalate needs a timeout' });
    if (!a.escalateTo?.length)
      ctx.addIssue({ code: 'custom', path: ['escalateTo'], message: 'onTimeout: escalate needs escalateTo: the group(s) to ask next' });
  });
export type ApprovalSpec = z.infer<typeof approvalSpec>;

/**
 * What a step does to which inventory targets, attached by the playbook compiler. The ordering
 * rules read it when a playbook is loaded, and the workflow again before each step.
 */
export const stepEffects = z.object({
  freezes: z.array(z.string()).default([]),
  captures: z.array(z.string()).default([]),
  snapshots: z.array(z.string()).default([]),
  rotates: z.array(z.string()).default([]),
  restarts: z.array(z.string()).default([]),
  restores: z.array(z.string()).default([]),
  changes: z.array(z.string()).default([]),
  reads: z.array(z.string()).default([]),
});
export type StepEffects = z.infer<typeof stepEffects>;

const stepId = z.string().regex(STEP_ID_PATTERN, 'must be lower-case letters, digits and dashes, e.g. "stop-gateway", or an item "rotate-key[openai-key]"');

const stepBase = {
  id: stepId,
  /** One line shown in the Temporal UI next to the activity. */
  summary: z.string().max(200).optional(),
  phase: phase.optional(),
  retry: retrySpec.optional(),
  timeouts: timeoutSpec.optional(),
  approval: approvalSpec.optional(),
  /** What a failed step does to the incident: abort it, go on, or wait for an operator's answer. */
  onFailure: z.enum(['abort', 'continue', 'ask']).default('abort'),
  effects: stepEffects.optional(),
  /** Set on the members of a parallel group: neighbours with one group id run concurrently. */
  group: groupSpec.optional(),
  /** Set on each item of a fan-out step (`forEach`): its id is `step[item]`. */
  fanOut: fanOutSpec.optional(),
};

function stepFor<A extends ActionName>(action: A) {
  return z.object({ ...stepBase, action: z.literal(action), args: actionArgs[action] });
}

export const stepSchema = z.discriminatedUnion('action', [
  stepFor('stopService'),
  stepFor('startService'),
  stepFor('captureEvidence'),
  stepFor('snapshotDisk'),
  stepFor('rotateKey'),
  stepFor('restoreBackup'),
  stepFor('smokeTest'),
  stepFor('runCommand'),
  stepFor('recordControl'),
  stepFor('writeNote'),
  stepFor('scanLeaks'),
  stepFor('quarantine'),
  stepFor('unquarantine'),
  stepFor('lockNetwork'),
  stepFor('unlockNetwork'),
  stepFor('sweepHost'),
  stepFor('notify'),
  stepFor('openclawLockTools'),
  stepFor('openclawFreezeAutomations'),
  stepFor('openclawRotateToken'),
  stepFor('openclawCaptureEvidence'),
  stepFor('openclawQuarantineMemory'),
  stepFor('openclawSmoke'),
  stepFor('openclawPause'),
  stepFor('openclawStopGateway'),
  stepFor('openclawDisable'),
  stepFor('openclawAbortSessions'),
  stepFor('openclawRestoreBackup'),
  stepFor('openclawUndo'),
]);
export type Step = z.infer<typeof stepSchema>;
/** Every catalogued action has a step shape: this fails to compile when one is left out above. */
const everyAction: [Exclude<ActionName, Step['action']>] extends [never] ? true : never = true;
void everyAction;
export type StepInput = z.input<typeof stepSchema>;

export const incidentInputSchema = z
  .object({
    class: incidentClass,
    severity,
    title: z.string().min(1).max(200),
    /** Who started the incident (the CLI's `--by`, or the OS user). See `approval.allowRequester`. */
    requestedBy: z.string().min(1).max(200).optional(),
    /**
     * How often the open incident posts a status update (timeline event `status-update`), or
     * `off`. Absent: the severity's cadence in `STATUS_EVERY` (S1 15m, S2 1h, S3 4h).
     */
    statusEvery: z.union([duration, z.literal('off')]).optional(),
    targets: z.array(z.string().min(1)).default([]),
    /** `drill` runs every step in plan mode: each reports what it would do and changes nothing. */
    mode: z.enum(['live', 'drill']).default('live'),
    /** Set when compiled from a playbook: the workflow then guards the ordering rules at run time. */
    playbook: z.object({ name: z.string().min(1), file: z.string().optional() }).optional(),
    steps: z.array(stepSchema).min(1, 'an incident needs at least one step'),
  })
  .superRefine((input, ctx) => {
    const seen = new Set<string>();
    input.steps.forEach((step, i) => {
      if (seen.has(step.id)) {
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `duplicate step id "${step.id}": step ids must be unique` });
      }
      seen.add(step.id);
    });
  });

/** Parsed input, defaults applied: what the workflow receives. */
export type IncidentInput = z.infer<typeof incidentInputSchema>;
/** What a caller may write: defaults still optional. */
export type IncidentInputDraft = z.input<typeof incidentInputSchema>;
