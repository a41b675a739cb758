/** The shape returned by the `progress` query: what the CLI, the UI and tests read. */
import type { ActionName, ControlKind } from './actions';
import type { IncidentClass, Phase, Severity } from './input';

export type StepStatus = 'pending' | 'awaiting-approval' | 'running' | 'succeeded' | 'failed' | 'skipped';

/** The first four are open; resolved, aborted and failed are final. */
export type IncidentState = 'running' | 'awaiting-approval' | 'awaiting-operator' | 'awaiting-control' | 'resolved' | 'aborted' | 'failed';

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
  /** Distinct approvals still needed (quorum minus approvals so far); 0 when not gated. */
  approvalsNeeded?: number;
  /** Who approved so far. */
  approvedBy?: string[];
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
  | 'rule-violation'
  | 'drill-note'
  | 'alert'
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
  /** The playbook this incident was compiled from, if any. */
  playbook?: string;
  timeline: TimelineEvent[];
}

export const FINAL_STATES: ReadonlySet<IncidentState> = new Set(['resolved', 'aborted', 'failed']);
