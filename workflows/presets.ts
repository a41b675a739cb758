/**
 * Named timeout and retry presets. A step may override any field; anything it leaves out
 * comes from the preset of its action.
 */
import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import type { Step } from '../contract';
import { ACTIONS, type ActionName } from '../contract/catalogue';

export const RETRY = {
  /** Transient faults: a few quick tries, then give up so a human sees it. */
  standard: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  /** Waiting for a service to come back: more patient. */
  patient: { initialInterval: '1s', backoffCoefficient: 1.5, maximumInterval: '10s', maximumAttempts: 20 },
} as const satisfies Record<string, RetryPolicy>;

export const TIMEOUTS = {
  /** Quick local actions that only read or report. */
  short: { startToCloseTimeout: '1m' },
  /**
   * Quick actions that change the world (containment and its undo). The heartbeat matters when
   * a worker dies, or when a server outage outlasts the SDK's retries of the completion: the
   * retry comes after 10 s instead of the whole start-to-close minute. The step's journal makes
   * that retry finish or replay the first attempt's work instead of doing it twice.
   */
  contain: { startToCloseTimeout: '1m', heartbeatTimeout: '10s' },
  /** Copying, archiving: heartbeats so a dead worker is noticed in seconds, not minutes. */
  long: { startToCloseTimeout: '30m', heartbeatTimeout: '10s' },
} as const satisfies Record<string, ActivityOptions>;

/**
 * The `patched` id under which the `contain` preset got its heartbeat. Incidents started
 * before it schedule those steps as `short` still, so their histories replay unchanged.
 */
export const CONTAIN_HEARTBEAT_PATCH = 'contain-heartbeat';

/** Does this action's preset depend on {@link CONTAIN_HEARTBEAT_PATCH}? */
export const usesContainPreset = (action: ActionName): boolean => ACTIONS[action].timeout === 'contain';

/**
 * Activity options for one step: its action's preset, overridden by what the step says.
 * `containHeartbeat: false` gives the `contain` actions the `short` preset of older incidents.
 */
export function activityOptionsFor(step: Step, { containHeartbeat = true }: { containHeartbeat?: boolean } = {}): ActivityOptions {
  const traits = ACTIONS[step.action];
  const timeouts = !containHeartbeat && traits.timeout === 'contain' ? TIMEOUTS.short : TIMEOUTS[traits.timeout];
  const retry: RetryPolicy = { ...RETRY[traits.retry] };
  if (step.retry?.maximumAttempts !== undefined) retry.maximumAttempts = step.retry.maximumAttempts;
  if (step.retry?.initialInterval !== undefined) retry.initialInterval = step.retry.initialInterval as RetryPolicy['initialInterval'];
  if (step.retry?.backoffCoefficient !== undefined) retry.backoffCoefficient = step.retry.backoffCoefficient;
  if (step.retry?.maximumInterval !== undefined) retry.maximumInterval = step.retry.maximumInterval as RetryPolicy['maximumInterval'];

  const options: ActivityOptions = { ...timeouts, retry };
  const t = step.timeouts;
  if (t?.startToClose !== undefined) options.startToCloseTimeout = t.startToClose as ActivityOptions['startToCloseTimeout'];
  if (t?.scheduleToClose !== undefined) options.scheduleToCloseTimeout = t.scheduleToClose as ActivityOptions['scheduleToCloseTimeout'];
  if (t?.heartbeat !== undefined) options.heartbeatTimeout = t.heartbeat as ActivityOptions['heartbeatTimeout'];
  options.summary = step.summary ?? `${step.id} (${step.action})`;
  return options;
}
