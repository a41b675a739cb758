/** Call the activity of one step. Kept apart so the loop in incident.ts reads as the runbook. */
import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { IncidentInput, IncidentProgress, Step, StepContext, StepResult } from '../contract';
import { activityOptionsFor, CONTAIN_HEARTBEAT_PATCH, localActivityOptionsFor, runsLocally, usesContainPreset } from './presets';

type Activities = ReturnType<typeof createActivities>;
type StepActivity = (ctx: StepContext, args: unknown) => Promise<StepResult>;

export interface RunStepOptions {
  plan: boolean;
  input: IncidentInput;
  progress: IncidentProgress;
  /** The incident started under `LOCAL_STEPS_PATCH`: no older patch is asked. */
  localSteps: boolean;
  /** The incident started under `LOCAL_RUN_PATCH`: its freeze steps run locally. */
  runLocal: boolean;
}

export function runStep(step: Step, o: RunStepOptions): Promise<StepResult> {
  const activity = (runsLocally(step, o.runLocal) ? localProxy(step) : remoteProxy(step, o.localSteps))[step.action as keyof Activities] as StepActivity;
  const ctx: StepContext = { stepId: step.id, ...(o.plan ? { plan: true } : {}) };
  // The note is written from the workflow's own record of the incident.
  if (step.action === 'writeNote') ctx.progress = o.progress;
  return activity(ctx, step.args);
}

function remoteProxy(step: Step, localSteps: boolean): Activities {
  // Only where the options differ, so other incidents' histories gain no marker.
  const containHeartbeat = localSteps || !usesContainPreset(step.action) ? true : patched(CONTAIN_HEARTBEAT_PATCH);
  return proxyActivities<Activities>(activityOptionsFor(step, { containHeartbeat }));
}

const localProxy = (step: Step): Activities => proxyLocalActivities<Activities>(localActivityOptionsFor(step));
