/** What every activity returns to the workflow. Fields land in workflow history: no secrets. */
export interface StepContext {
  /** The step's id in the incident; with the workflow run it keys idempotency. */
  stepId: string;
  /** Drill: report what the step would do, change nothing. */
  plan?: boolean;
  /** Given to `writeNote` only: the workflow's own record, which the note is written from. */
  progress?: import('./progress').IncidentProgress;
}

/** One effect a step would have, as reported in plan mode (drills). */
export interface PlannedEffect {
  kind: 'command' | 'signal' | 'spawn' | 'write' | 'copy' | 'move' | 'http';
  /** Exactly what: the argv, the file, the process, the URL. */
  detail: string;
}

export interface StepResult {
  /** One human line: what the step did. */
  summary: string;
  /** Structured facts (ids, fingerprints, counts). */
  data?: Record<string, unknown>;
  /** Which attempt of the activity produced this result. */
  attempt?: number;
  /** True when an earlier attempt had already done the work and this call changed nothing. */
  replayed?: boolean;
  /**
   * When this attempt began and when it returned (the worker's clock, ISO-8601): the moment the
   * action confirmed its effect. Local steps need it: the workflow's clock stands still between
   * the local activities of one workflow task.
   */
  ranFrom?: string;
  ranTo?: string;
}
