/** What the parts of the incident workflow share while one incident runs. */
import type { IncidentInput } from '../contract';
import type { Leases } from './leases';
import type { IncidentTracker } from './tracker';

export interface RunContext {
  input: IncidentInput;
  /** Every step in plan mode: gates and waits are noted, not waited on. */
  drill: boolean;
  tracker: IncidentTracker;
  /**
   * Started under `LOCAL_STEPS_PATCH` (asked once at the start): the step runner's older
   * patches are true without asking them.
   */
  localSteps: boolean;
  /** Started under `LOCAL_RUN_PATCH`: freeze steps run as local activities. */
  runLocal: boolean;
  /** Started under `LEAN_STEPS_PATCH`: a step awaits only what it must wait for. */
  lean: boolean;
  /** Leases the incident renews while it needs them (a gateway's pause). */
  leases: Leases;
  /** Push the tracker's state to the UI (current details) and the phase search attribute. */
  publish(): void;
  /** Push the current details only (no search attribute: no history event). */
  showDetails(): void;
  /** Push the severity search attribute after a flapping alert raised it. */
  publishSeverity(): void;
}

/** Thrown inside the loop to end the incident; caught once at the bottom of the workflow. */
export class IncidentEnd extends Error {
  constructor(
    readonly state: 'aborted' | 'failed',
    readonly type: 'IncidentAborted' | 'IncidentFailed' | 'InvalidIncidentInput',
    message: string,
  ) {
    super(message);
  }
}
