/**
 * The fixed vocabulary of activity failures. Every failure an activity raises on purpose is
 * an `ApplicationFailure` whose `type` is one of these; anything else (a bug, a dropped
 * connection) reaches Temporal as a plain retryable error.
 *
 * How an error becomes a failure, in one place (`toFailure`):
 * - a `StepError` keeps its type; `nonRetryable` comes from the table below;
 * - a cancellation passes through untouched, so Temporal sees the activity as cancelled;
 * - any other `Error` becomes type `Unexpected`, retryable;
 * - every failure carries `details[0] = { attempt }`, so the workflow can report attempts.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';

export const FAILURE_TYPES = {
  /** Arguments did not match the action's schema. Retrying the same arguments cannot help. */
  InvalidArguments: { nonRetryable: true },
  /** A named file, key, process record or archive does not exist. */
  TargetNotFound: { nonRetryable: true },
  /** The action would break a safety rule (restore without a snapshot, overwrite evidence). */
  UnsafeActionRefused: { nonRetryable: true },
  /** A command exited with an unexpected code. May be transient, so retried. */
  CommandFailed: { nonRetryable: false },
  /** A check did not pass (a process still alive, a health endpoint not healthy yet). */
  VerificationFailed: { nonRetryable: false },
  /** Anything not raised on purpose. */
  Unexpected: { nonRetryable: false },
} as const;

export type FailureType = keyof typeof FAILURE_TYPES;

/** An error raised on purpose by an activity, with its type from the vocabulary. */
export class StepError extends Error {
  constructor(
    /** One of `FAILURE_TYPES`: decides whether Temporal retries. */
    readonly type: FailureType,
    message: string,
  ) {
    super(message);
    this.name = 'StepError';
  }
}

export function toFailure(err: unknown, attempt: number): Error {
  if (err instanceof CancelledFailure) return err;
  if (err instanceof ApplicationFailure) return err;
  const type: FailureType = err instanceof StepError ? err.type : 'Unexpected';
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: FAILURE_TYPES[type].nonRetryable,
    details: [{ attempt }],
    ...(err instanceof Error && !(err instanceof StepError) ? { cause: err } : {}),
  });
}
