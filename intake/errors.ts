/**
 * The intake's answers to bad deliveries: one kind per failure, each with its HTTP status.
 * Every error goes out as `{"error": {"kind": "<kind>", "message": "<what to fix>"}}`.
 *
 * The status is chosen for the sender's retry logic: Alertmanager, Grafana and PagerDuty retry
 * 5xx (and PagerDuty 429) and drop 4xx, so a 4xx means "this delivery can never succeed" and a
 * 503 means "try again, nothing was lost".
 */
export const INTAKE_ERROR_STATUS = {
  /** The body is not JSON. */
  MalformedJson: 400,
  /** The JSON does not have the sender's documented shape (the message names the bad fields). */
  InvalidPayload: 400,
  /** No credentials, or credentials that do not match: bearer token, signature, or a stale timestamp. */
  Unauthorized: 401,
  /** No endpoint for that sender, or the sender has no secret configured. */
  UnknownSource: 404,
  /** Anything other than the intake's endpoints. */
  NotFound: 404,
  /** The body is larger than the stated limit. */
  PayloadTooLarge: 413,
  /** The body is not `application/json`. */
  UnsupportedMediaType: 415,
  /** A route matched, but an alert field did not fit the parameter or target it fills. */
  InvalidParameter: 422,
  /** The incident built for the alert is not a valid incident (template and parameters disagree). */
  InvalidIncident: 422,
  /** The incident template for the route's playbook could not be read: fix the config, the sender's retry then succeeds. */
  ResolveFailed: 500,
  /** A bug: logged with its stack. */
  Unexpected: 500,
  /** The Temporal server did not answer in time: the sender retries and nothing is lost. */
  TemporalUnavailable: 503,
} as const;

export type IntakeErrorKind = keyof typeof INTAKE_ERROR_STATUS;

export class IntakeError extends Error {
  constructor(
    /** What went wrong, from the fixed list above; decides the HTTP status. */
    readonly kind: IntakeErrorKind,
    message: string,
    /**
     * What only the operator may read (a route's allowed values, which are inventory names, or
     * its pattern): logged with the refusal, never sent to whoever posted the alert.
     */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'IntakeError';
  }

  get status(): number {
    return INTAKE_ERROR_STATUS[this.kind];
  }

  toJSON(): { error: { kind: IntakeErrorKind; message: string } } {
    return { error: { kind: this.kind, message: this.message } };
  }
}
