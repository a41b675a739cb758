/** The shape returned by the `progress` query: what the CLI, the UI and tests read. */
import type { ActionName } from './actions';
import type { IncidentClass, Phase, Severity } from './input';

export type StepStatus = 'pending' | 'awaiting-approval' | 'running' | 'succeeded' | 'failed' | 'skipped';

/** running and awaiting-approval are open; the other three are final. */
export type IncidentState = 'running' | 'awaiting-approval' | 'resolved' | 'aborted' | 'failed';

export interface StepProgress {
  id: string;
  action: ActionName;
  phase: Phase;
  status: StepStatus;
  /** Attempts the last run of the activity took (1 when it succeeded first time). */
  attempts: number;
  needsApproval: boolean;
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
  timeline: TimelineEvent[];
}

export const FINAL_STATES: ReadonlySet<IncidentState> = new Set(['resolved', 'aborted', 'failed']);
