/** The shape returned by the `progress` query: what the CLI, the UI and tests read. */
import type { ControlKind } from './catalogue';
import type { ActionName, Phase } from './catalogue';
import type { Severity } from './grammar';
import type { IncidentClass } from './input';

export type StepStatus = 'pending' | 'awaiting-approval' | 'running' | 'succeeded' | 'failed' | 'skipped';

/** The first five are open; resolved, aborted, failed and cancelled are final. */
export type IncidentState =
  'running' | 'awaiting-approval' | 'awaiting-operator' | 'awaiting-control' | 'paused' | 'resolved' | 'aborted' | 'failed' | 'cancelled';

/**
 * An incident's state before its first workflow task: the client records it in the memo at
 * start, and the workflow, which writes the memo only on change, starts from it.
 */
export const INITIAL_STATE: IncidentState = 'running';

/** A durable control recorded on the incident (rule 7: no close without one). */
export interface ControlRecord {
  kind: ControlKind;
  note: string;
  by: string;
  at: string;
  /** The step that recorded it, when a playbook declared it. */
  step?: string;
}

export interface StepProgress {
  id: string;
  action: ActionName;
  phase: Phase;
  status: StepStatus;
  /** Attempts the last run of the activity took (1 when it succeeded first time). */
  attempts: number;
  needsApproval: boolean;
  /** The parallel group this step runs in, beside the other members. */
  group?: string;
  /** For one item of a fan-out: the step it came from (its id is `fanOut[item]`) and the item. */
  fanOut?: string;
  item?: string;
  /** Distinct approvals still needed (quorum minus approvals so far); 0 when not gated. */
  approvalsNeeded?: number;
  /** Who approved so far. */
  approvedBy?: string[];
  /** Every decision on this step: who, when, and why. */
  decisions?: {
    kind: 'approve' | 'deny';
    by: string;
    at: string;
    why?: string;
    /** How the worker proved who decided (`totp` code or `ssh` signature); absent: the name was typed. */
    proof?: 'totp' | 'ssh';
    /** SHA256 fingerprint of the SSH key that signed. */
    fingerprint?: string;
  }[];
  /** Set when decisions on this step need a proof checked by the worker. */
  identity?: 'proven';
  startedAt?: string;
  endedAt?: string;
  /** One line the activity returned: what it did. Never a secret. */
  summary?: string;
  /** Structured result of the activity (ids, fingerprints, paths). Never a secret. */
  result?: Record<string, unknown>;
  error?: string;
}

export interface PendingApproval {
  step: string;
  since: string;
  /** Who may approve; empty: anyone. */
  approvers: string[];
  /** Distinct approvals still needed. */
  needed: number;
  /** Who may not approve although listed: the requester, for S1 steps by default. */
  excluded?: string[];
  /** Groups the gate escalated to after a timeout, in order. */
  escalatedTo?: string[];
}

/** One compensation run when the incident was cancelled (the saga), newest last. */
export interface UndoRecord {
  /** The step whose change is undone. */
  step: string;
  /** The action that undoes it, or none. */
  action?: ActionName;
  status: 'succeeded' | 'failed' | 'impossible';
  /** What the undo did, why it failed, or why nothing can undo the step. */
  message: string;
  at: string;
}

export type TimelineKind =
  | 'incident-started'
  | 'step-started'
  | 'step-succeeded'
  | 'step-failed'
  | 'step-skipped'
  | 'approval-requested'
  | 'approved'
  | 'denied'
  | 'signal-ignored'
  | 'approval-timed-out'
  | 'operator-asked'
  | 'operator-answered'
  | 'control-recorded'
  /** The normal wait before the note for a durable control (rule 7 is kept, not broken). */
  | 'control-awaited'
  | 'rule-violation'
  | 'drill-note'
  | 'alert'
  | 'severity-raised'
  | 'escalated'
  | 'paused'
  | 'resumed'
  | 'status-update'
  | 'cancel-requested'
  /** A renewal of a gateway pause's lease failed; the message says when the lease runs out. */
  | 'pause-renewal-failed'
  /** The lease ran out before a renewal: the gateway admitted work again until it was suspended anew. */
  | 'pause-lapsed'
  /** A renewal worked again after failures (or suspended the gateway again after a lapse). */
  | 'pause-renewed'
  /** The incident stopped renewing a pause (undone, the gateway stopped, or the incident ended). */
  | 'pause-released'
  | 'undo-started'
  | 'undo-succeeded'
  | 'undo-failed'
  | 'undo-impossible'
  | 'incident-finished';

export interface TimelineEvent {
  at: string;
  kind: TimelineKind;
  step?: string;
  by?: string;
  message: string;
}

export interface IncidentProgress {
  incidentId: string;
  class: IncidentClass;
  severity: Severity;
  title: string;
  mode: 'live' | 'drill';
  targets: string[];
  /** Who started the incident, when known. */
  requestedBy?: string;
  /** The phase of the step running now; after the end, the phase the incident stopped in. */
  phase: Phase | 'closed';
  state: IncidentState;
  startedAt: string;
  endedAt?: string;
  steps: StepProgress[];
  pendingApprovals: PendingApproval[];
  /** A failed step waiting for an operator's retry, skip or abort (onFailure: ask). */
  pendingOperator?: { step: string; error: string; since: string };
  controls: ControlRecord[];
  /** Set while an operator holds the incident: no new step starts. */
  paused?: { by: string; at: string; reason?: string };
  /** The undo of each change, run in reverse order when the incident was cancelled. */
  undo?: UndoRecord[];
  /** Status updates posted so far (one every `statusEvery` while open). */
  statusUpdates?: number;
  /** The playbook this incident was compiled from, if any. */
  playbook?: string;
  /** When the intake received the alert that started the incident (the clock starts here; absent: `startedAt`). */
  alertReceivedAt?: string;
  /** The earlier incident of the same alert key or group that this one follows up. */
  follows?: string;
  /** Set once when a flapping alert raised the severity (`severity` holds the raised one). */
  severityRaised?: { from: Severity; to: Severity; at: string };
  timeline: TimelineEvent[];
}

export const FINAL_STATES: ReadonlySet<IncidentState> = new Set(['resolved', 'aborted', 'failed', 'cancelled']);

/** Where a step ran beside others: `group g`, `fan-out of rotate`, both, or undefined for a step that ran alone. */
export function besideWhat(s: Pick<StepProgress, 'group' | 'fanOut'>): string | undefined {
  // Called for every step each time the details are drawn (twice a step): the usual answer first.
  if (s.group === undefined && s.fanOut === undefined) return undefined;
  const where = [s.group !== undefined ? `group ${s.group}` : '', s.fanOut !== undefined ? `fan-out of ${s.fanOut}` : ''].filter(Boolean);
  return where.length ? where.join(', ') : undefined;
}
