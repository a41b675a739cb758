/**
 * The `incident` workflow: runs an incident's steps in order as activities, holding at
 * approval gates until a human sends `approve` or `deny`.
 *
 * Runs in Temporal's sandbox: deterministic, no Node APIs. Time comes from the workflow
 * clock (`Date` is replay-safe here), logs from `log` (silent during replay).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import type { createActivities } from '../activities';
import {
  alertSignal,
  approveSignal,
  denySignal,
  DESCRIPTIONS,
  formatIssues,
  incidentInputSchema,
  type IncidentInputDraft,
  type IncidentProgress,
  type Step,
  type StepContext,
  type StepResult,
  progressQuery,
} from './contract';
import { INCIDENT_PHASE_KEY, INCIDENT_CLASS_KEY } from './search-attributes';
import { activityOptionsFor } from './presets';
import { IncidentTracker, phaseOf } from './tracker';

type Activities = ReturnType<typeof createActivities>;
type StepActivity = (ctx: StepContext, args: unknown) => Promise<StepResult>;

export async function incident(draft: IncidentInputDraft): Promise<IncidentProgress> {
  // The client validates too; this is the guard for starts that bypass it (UI, other SDKs).
  const parsed = incidentInputSchema.safeParse(draft);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`invalid incident input: ${formatIssues(parsed.error).join('; ')}`, 'InvalidIncidentInput');
  }
  const input = parsed.data;
  const tracker = new IncidentTracker(workflowInfo().workflowId, input, () => new Date().toISOString());
  // Search attributes are set by the client at start when the server has them registered;
  // upserting an unregistered one would fail every workflow task, so follow the client's lead.
  const searchable = workflowInfo().typedSearchAttributes.get(INCIDENT_CLASS_KEY) !== undefined;

  // Each upsert is a history event: write the phase only when it changes. Incidents started
  // before this change upserted on every publish and must keep doing so on replay.
  const upsertOnChangeOnly = patched('upsert-phase-on-change');
  let publishedPhase: string | undefined;
  const publish = () => {
    setCurrentDetails(tracker.details());
    const phase = String(tracker.progress.phase);
    if (searchable && (!upsertOnChangeOnly || phase !== publishedPhase)) {
      upsertSearchAttributes([{ key: INCIDENT_PHASE_KEY, value: phase }]);
      publishedPhase = phase;
    }
  };

  setHandler(progressQuery, () => tracker.progress, { description: DESCRIPTIONS.progress });
  setHandler(approveSignal, (d) => void (tracker.receive('approve', d) && publish()), { description: DESCRIPTIONS.approve });
  setHandler(denySignal, (d) => void (tracker.receive('deny', d) && publish()), { description: DESCRIPTIONS.deny });
  setHandler(alertSignal, (a) => void tracker.receiveAlert(a), { description: DESCRIPTIONS.alert });
  publish();

  for (const step of input.steps) {
    tracker.enter(step);
    if (step.approval?.required) {
      tracker.requestApproval(step.id);
      publish();
      log.info('waiting for approval', { step: step.id });
      await condition(() => tracker.decisionFor(step.id) !== undefined);
      const decision = tracker.decisionFor(step.id)!;
      if (decision.kind === 'deny') {
        if (step.approval.onDeny === 'skip') {
          tracker.skipped(step.id, `skipped: denied by ${decision.by}`);
          publish();
          continue;
        }
        const message = `step "${step.id}" denied by ${decision.by}: ${decision.reason}`;
        tracker.finish('aborted', message);
        publish();
        throw ApplicationFailure.nonRetryable(message, 'IncidentAborted');
      }
    }

    tracker.started(step.id);
    publish();
    try {
      const result = await runStep(step, input.mode === 'drill');
      tracker.succeeded(step.id, result);
    } catch (err) {
      const { message, attempts } = describeFailure(err, step);
      tracker.failed(step.id, message, attempts);
      if (step.onFailure === 'continue') {
        publish();
        continue;
      }
      tracker.finish('failed', `step "${step.id}" failed: ${message}`);
      publish();
      throw ApplicationFailure.nonRetryable(`step "${step.id}" (${phaseOf(step)}) failed: ${message}`, 'IncidentFailed');
    }
    publish();
  }

  tracker.finish('resolved', 'all steps done');
  publish();
  return tracker.progress;
}

function runStep(step: Step, plan: boolean): Promise<StepResult> {
  const activities = proxyActivities<Activities>(activityOptionsFor(step));
  const activity = activities[step.action] as StepActivity;
  return activity({ stepId: step.id, ...(plan ? { plan } : {}) }, step.args);
}

/** The innermost message of an activity failure, and how many attempts were spent. */
function describeFailure(err: unknown, step: Step): { message: string; attempts: number } {
  if (!(err instanceof ActivityFailure)) throw err; // cancellation and bugs are not step failures
  const cause = err.cause;
  const message = cause?.message ?? err.message;
  let attempts = 1;
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as { attempt?: number } | undefined;
    if (typeof detail?.attempt === 'number') attempts = detail.attempt;
  }
  if (err.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED) {
    attempts = Math.max(attempts, activityOptionsFor(step).retry?.maximumAttempts ?? attempts);
  }
  return { message: cause instanceof ApplicationFailure && cause.type ? `${cause.type}: ${message}` : message, attempts };
}
