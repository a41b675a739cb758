/** Call the activity of one step. Kept apart so the loop in incident.ts reads as the runbook. */
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { IncidentInput, IncidentProgress, Step, StepContext, StepResult } from '../contract';
import { activityOptionsFor } from './presets';

type Activities = ReturnType<typeof createActivities>;
type StepActivity = (ctx: StepContext, args: unknown) => Promise<StepResult>;

export function runStep(step: Step, o: { plan: boolean; input: IncidentInput; progress: IncidentProgress }): Promise<StepResult> {
  const activities = proxyActivities<Activities>(activityOptionsFor(step));
  const activity = activities[step.action as keyof Activities] as StepActivity;
  const ctx: StepContext = { stepId: step.id, ...(o.plan ? { plan: true } : {}) };
  // The note is written from the workflow's own record of the incident.
  if (step.action === 'writeNote') ctx.progress = o.progress;
  return activity(ctx, step.args);
}
