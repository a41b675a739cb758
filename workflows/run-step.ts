/** Call the activity of one step. Kept apart so the loop in incident.ts reads as the runbook. */
import { patched, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { IncidentInput, IncidentProgress, Step, StepContext, StepResult } from '../contract';
import { activityOptionsFor, CONTAIN_HEARTBEAT_PATCH, usesContainPreset } from './presets';

type Activities = ReturnType<typeof createActivities>;
type StepActivity = (ctx: StepContext, args: unknown) => Promise<StepResult>;

export function runStep(step: Step, o: { plan: boolean; input: IncidentInput; progress: IncidentProgress }): Promise<StepResult> {
  // Only where the options differ, so other incidents' histories gain no marker.
  const containHeartbeat = usesContainPreset(step.action) ? patched(CONTAIN_HEARTBEAT_PATCH) : true;
  const activities = proxyActivities<Activities>(activityOptionsFor(step, { containHeartbeat }));
  const activity = activities[step.action as keyof Activities] as StepActivity;
  const ctx: StepContext = { stepId: step.id, ...(o.plan ? { plan: true } : {}) };
  // The note is written from the workflow's own record of the incident.
  if (step.action === 'writeNote') ctx.progress = o.progress;
  return activity(ctx, step.args);
}
