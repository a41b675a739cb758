/**
 * Named timeout and retry presets. A step may override any field; anything it leaves out
 * comes from the preset of its action.
 */
import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time';
import type { Step } from '../contract';
import { ACTIONS, phaseOf, type ActionName } from '../contract/catalogue';

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

/**
 * The `patched` id asked first when an incident starts: incidents started with it need none of
 * the step runner's older patches (they are all true for them), so none is asked later. That
 * matters once steps run locally: a `patched()` asked after a local activity that resolved in a
 * later workflow task (a slow one splits the task) would look for its marker in the wrong task
 * on replay. Whether freeze steps run locally is {@link LOCAL_RUN_PATCH}'s.
 */
export const LOCAL_STEPS_PATCH = 'local-freeze-steps';

/** The longest start-to-close a step may have and still run as a local activity. */
export const LOCAL_STEP_MAX_MS = 60_000;

/**
 * The `patched` id under which an incident runs its freeze steps as local activities, asked at
 * the start right after {@link LOCAL_STEPS_PATCH}. Incidents started while local execution was
 * switched off carry that marker and ran every step as an activity: they keep doing so on replay.
 */
export const LOCAL_RUN_PATCH = 'local-freeze-steps-run';

/**
 * The `patched` id under which a step takes no await it does not need (no pause to wait out, no
 * gate): asked at the start right after {@link LOCAL_RUN_PATCH}. Each promise in the sandbox
 * costs a stack capture by the SDK's promise hook, a third of a step's workflow CPU; but fewer
 * awaits can change the order of commands that concurrent parts of the workflow (status
 * updates, leases, group members) issue in one task, so incidents started before keep theirs.
 */
export const LEAN_STEPS_PATCH = 'lean-step-path';

/**
 * Does this step run as a local activity? The incident must have started under
 * {@link LOCAL_RUN_PATCH}, the step's action must allow it (`local` in the catalogue), it must
 * stand in the freeze phase, and its start-to-close be at most {@link LOCAL_STEP_MAX_MS} with no
 * schedule-to-close or heartbeat of its own (a local activity cannot heartbeat).
 */
export function runsLocally(step: Step, runLocal: boolean): boolean {
  return runLocal && mayRunLocally(step);
}

/** Whether the step qualifies for a local activity, whatever the incident. */
export function mayRunLocally(step: Step): boolean {
  if (!ACTIONS[step.action].local || phaseOf(step) !== 'freeze') return false;
  if (step.timeouts?.heartbeat !== undefined || step.timeouts?.scheduleToClose !== undefined) return false;
  const startToClose = activityOptionsFor(step).startToCloseTimeout;
  return startToClose !== undefined && msToNumber(startToClose) <= LOCAL_STEP_MAX_MS;
}

/** A local step's options: its activity options without the heartbeat a local activity cannot have. */
export function localActivityOptionsFor(step: Step): LocalActivityOptions {
  const { startToCloseTimeout, retry, summary } = activityOptionsFor(step);
  return { startToCloseTimeout, retry, summary };
}
