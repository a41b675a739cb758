/**
 * Named timeout and retry presets. A step may override any field; anything it leaves out
 * comes from the preset of its action.
 */
import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import { ACTIONS, type Step } from '../contract';

export const RETRY = {
  /** Transient faults: a few quick tries, then give up so a human sees it. */
  standard: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  /** Waiting for a service to come back: more patient. */
  patient: { initialInterval: '1s', backoffCoefficient: 1.5, maximumInterval: '10s', maximumAttempts: 20 },
} as const satisfies Record<string, RetryPolicy>;

export const TIMEOUTS = {
  /** Quick local actions. */
  short: { startToCloseTimeout: '1m' },
  /** Copying, archiving: heartbeats so a dead worker is noticed in seconds, not minutes. */
  long: { startToCloseTimeout: '30m', heartbeatTimeout: '10s' },
} as const satisfies Record<string, ActivityOptions>;

/** Activity options for one step: its action's preset, overridden by what the step says. */
export function activityOptionsFor(step: Step): ActivityOptions {
  const traits = ACTIONS[step.action];
  const retry: RetryPolicy = { ...RETRY[traits.retry] };
  if (step.retry?.maximumAttempts !== undefined) retry.maximumAttempts = step.retry.maximumAttempts;
  if (step.retry?.initialInterval !== undefined) retry.initialInterval = step.retry.initialInterval as RetryPolicy['initialInterval'];
  if (step.retry?.backoffCoefficient !== undefined) retry.backoffCoefficient = step.retry.backoffCoefficient;
  if (step.retry?.maximumInterval !== undefined) retry.maximumInterval = step.retry.maximumInterval as RetryPolicy['maximumInterval'];

  const options: ActivityOptions = { ...TIMEOUTS[traits.timeout], retry };
  const t = step.timeouts;
  if (t?.startToClose !== undefined) options.startToCloseTimeout = t.startToClose as ActivityOptions['startToCloseTimeout'];
  if (t?.scheduleToClose !== undefined) options.scheduleToCloseTimeout = t.scheduleToClose as ActivityOptions['scheduleToCloseTimeout'];
  if (t?.heartbeat !== undefined) options.heartbeatTimeout = t.heartbeat as ActivityOptions['heartbeatTimeout'];
  options.summary = step.summary ?? `${step.id} (${step.action})`;
  return options;
}
