/**
 * Problems the operator sees: thrown by the compiler, config, intake, the embedded server and
 * the client library, reported by the CLI, the demo and the worker's start-up. Each has a
 * kind (its exit code follows from it) and a message that says what to fix.
 */
export const PROBLEM_KINDS = {
  /** A flag, file, environment variable or workflow input is malformed. */
  InvalidInput: 2,
  /** No incident with that id on the server. */
  UnknownIncident: 3,
  /** The incident has no such step, or the step is not in a state for this command. */
  UnknownStep: 4,
  /** The Temporal server did not answer at the address tried. */
  ServerUnreachable: 5,
  /** No Temporal CLI binary could be found or installed for the embedded server. */
  TemporalCliNotFound: 6,
  /** The embedded server or a sandbox process did not come up. */
  StartupFailed: 7,
  /** A check found a problem: evidence that no longer matches its manifest or history. */
  VerificationFailed: 8,
  /**
   * The incident refused the request, and says why: an approver who may not decide the step
   * or already approved it, a close the ordering rules do not allow yet.
   */
  Refused: 9,
  /** An incident with that id already exists (running or closed): ids are never reused. */
  IncidentExists: 10,
} as const;

export type ProblemKind = keyof typeof PROBLEM_KINDS;

export class Problem extends Error {
  constructor(
    /** What went wrong, from the fixed list above. */
    readonly kind: ProblemKind,
    message: string,
  ) {
    super(message);
    this.name = 'Problem';
  }

  get exitCode(): number {
    return PROBLEM_KINDS[this.kind];
  }
}
