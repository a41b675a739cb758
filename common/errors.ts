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
  /**
   * The step needs a proven identity and the decision's proof is missing, wrong, expired or
   * already spent: the approver's authenticator code or SSH signature, checked by the worker.
   */
  IdentityNotProven: 10,
  /** An incident with that id already exists (running or closed): ids are never reused. */
  IncidentExists: 11,
} as const;

export type ProblemKind = keyof typeof PROBLEM_KINDS;

/** What each exit code tells the operator, in one line: the CLI reference (docs/cli.md) prints this table. */
export const PROBLEM_MEANINGS: Record<ProblemKind, string> = {
  InvalidInput: 'invalid input: a flag, file, environment variable or playbook (with the path of the bad field)',
  UnknownIncident: 'no incident with that id on the server',
  UnknownStep: 'no such step, or the step is not waiting for this command',
  ServerUnreachable: 'the Temporal server did not answer (with the address tried)',
  TemporalCliNotFound: 'no Temporal CLI found or installable for the embedded server (with everything tried)',
  StartupFailed: 'the embedded server or a sandbox process did not come up',
  VerificationFailed: 'verification failed: evidence that no longer matches its manifest or the history',
  Refused: 'refused by the incident, with the reason: an approver not allowed or already counted, a close the rules do not allow yet',
  IncidentExists: 'an incident with that id already exists (running or closed): ids are never reused',
  IdentityNotProven: 'the step needs a proven identity and the authenticator code or SSH signature was missing, wrong, expired or already used',
};

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
