/**
 * The `incident` workflow: runs an incident's steps in order as activities, holding at
 * approval gates until enough people approve, asking an operator when a step with
 * `onFailure: ask` fails, holding while paused, undoing its changes when cancelled, and (for
 * playbooks) refusing to close without a durable control.
 *
 * Runs in Temporal's sandbox: deterministic, no Node APIs. Time comes from the workflow
 * clock (`Date` is replay-safe here), logs from `log` (silent during replay).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  isCancellation,
  patched,
  setCurrentDetails,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import { formatIssues, incidentInputSchema, phaseOf, type IncidentInputDraft, type IncidentProgress, type Step } from '../contract';
import { approvalGate, controlGate, skip, unpaused } from './gates';
import { registerHandlers } from './handlers';
import { INCIDENT_CLASS_KEY, INCIDENT_PHASE_KEY } from '../contract/search-attributes';
import { STATE_MEMO } from '../contract/definitions';
import { activityOptionsFor } from './presets';
import { runStep } from './run-step';
import { IncidentEnd, type RunContext } from './run-context';
import { compensate } from './saga';
import { startStatusUpdates } from './status';
import { IncidentTracker } from './tracker';

export async function incident(draft: IncidentInputDraft): Promise<IncidentProgress> {
  // The client validates too; this is the guard for starts that bypass it (UI, other SDKs).
  const parsed = incidentInputSchema.safeParse(draft);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`invalid incident input: ${formatIssues(parsed.error).join('; ')}`, 'InvalidIncidentInput');
  }
  const input = parsed.data;
  const drill = input.mode === 'drill';
  // Incidents started before approver identity existed keep believing typed names on replay.
  const proofs = patched('approver-identity');
  const tracker = new IncidentTracker(workflowInfo().workflowId, input, () => new Date().toISOString(), { proofs });
  // Search attributes are set by the client at start when the server has them registered;
  // upserting an unregistered one would fail every workflow task, so follow the client's lead.
  const searchable = workflowInfo().typedSearchAttributes.get(INCIDENT_CLASS_KEY) !== undefined;
  // Each upsert is a history event: write the phase only when it changes. Incidents started
  // before this change upserted on every publish and must keep doing so on replay.
  const upsertOnChangeOnly = patched('upsert-phase-on-change');
  let publishedPhase: string | undefined;
  // `tourniquet list` reads the incident's own state from the memo (no query to a worker per
  // row). Each upsert is a history event: only on change, and only for incidents started since.
  const stateMemo = patched('state-memo');
  let publishedState: string | undefined;
  const ctx: RunContext = {
    input,
    drill,
    tracker,
    publish() {
      setCurrentDetails(tracker.details());
      const phase = String(tracker.progress.phase);
      if (searchable && (!upsertOnChangeOnly || phase !== publishedPhase)) {
        upsertSearchAttributes([{ key: INCIDENT_PHASE_KEY, value: phase }]);
        publishedPhase = phase;
      }
      if (stateMemo && tracker.progress.state !== publishedState) {
        publishedState = tracker.progress.state;
        upsertMemo({ [STATE_MEMO]: publishedState });
      }
    },
    showDetails() {
      setCurrentDetails(tracker.details());
    },
  };
  registerHandlers(ctx);
  ctx.publish();
  // A timer for every open incident changes the command sequence of incidents started before
  // status updates existed: only incidents started since get them.
  const stopStatusUpdates = !drill && patched('status-updates') ? startStatusUpdates(ctx) : () => {};

  let current: Step | undefined;
  try {
    for (const step of input.steps) {
      current = undefined;
      tracker.enter(step);
      if (step.approval?.required && (await approvalGate(ctx, step)) === 'skip') continue;
      await unpaused(ctx);
      if (step.action === 'recordControl') {
        tracker.addControl(step.args.kind, step.args.note, input.playbook ? `playbook ${input.playbook.name}` : 'incident', step.id);
        tracker.succeeded(step, { summary: `control ${step.args.kind} recorded by the workflow` });
        ctx.publish();
        continue;
      }
      if (step.action === 'writeNote' && input.playbook) await controlGate(ctx, step);
      const refused = tracker.violation(step);
      if (refused) {
        tracker.failed(step.id, refused, 0);
        if (drill) continue;
        throw new IncidentEnd('failed', 'IncidentFailed', refused);
      }
      current = step;
      await attempt(step);
    }
  } catch (err) {
    stopStatusUpdates();
    if (isCancellation(err)) {
      const interrupted = current && tracker.step(current.id).status === 'running' ? current : undefined;
      if (interrupted) tracker.failed(interrupted.id, 'cancelled while running: its effect, if any, is undone below', tracker.step(interrupted.id).attempts);
      await compensate(ctx, interrupted);
      tracker.finish('cancelled', `cancelled; ${describeUndo(tracker.progress)}`);
      ctx.publish();
      throw err; // the workflow ends as cancelled
    }
    if (!(err instanceof IncidentEnd)) throw err;
    tracker.finish(err.state, err.message);
    ctx.publish();
    throw ApplicationFailure.nonRetryable(err.message, err.type);
  }
  stopStatusUpdates();
  const failures = tracker.progress.steps.filter((s) => s.status === 'failed').length;
  if (drill && failures) {
    const message = `drill found ${failures} step(s) that would fail`;
    tracker.finish('failed', message);
    ctx.publish();
    throw ApplicationFailure.nonRetryable(message, 'IncidentFailed');
  }
  tracker.finish('resolved', drill ? 'drill complete: nothing was changed' : 'all steps done');
  ctx.publish();
  return tracker.progress;

  /** Run a step; on failure apply its policy (abort, continue, or ask an operator). */
  async function attempt(step: Step): Promise<void> {
    for (;;) {
      await unpaused(ctx);
      tracker.started(step.id);
      ctx.publish();
      try {
        const result = await runStep(step, { plan: drill, input, progress: tracker.progress });
        tracker.succeeded(step, result);
        ctx.publish();
        return;
      } catch (err) {
        const { message, attempts } = describeFailure(err, step);
        tracker.failed(step.id, message, attempts);
        // A drill collects every problem instead of stopping at the first.
        if (drill || step.onFailure === 'continue') return ctx.publish();
        if (step.onFailure === 'abort') throw new IncidentEnd('failed', 'IncidentFailed', `step "${step.id}" (${phaseOf(step)}) failed: ${message}`);
        tracker.askOperator(step.id, message);
        ctx.publish();
        await condition(() => tracker.operatorDecision() !== undefined);
        const answer = tracker.operatorDecision()!;
        if (answer.decision === 'skip') return void skip(ctx, step, `skipped by ${answer.by} after failing`);
        if (answer.decision === 'abort') throw new IncidentEnd('aborted', 'IncidentAborted', `step "${step.id}" failed and ${answer.by} aborted the incident`);
        tracker.retrying(step.id);
      }
    }
  }
}

function describeUndo(p: IncidentProgress): string {
  const undo = p.undo ?? [];
  if (!undo.length) return 'nothing to undo';
  const count = (status: string) => undo.filter((u) => u.status === status).length;
  return `${count('succeeded')} change(s) undone, ${count('failed')} undo(s) failed, ${count('impossible')} cannot be undone`;
}

/** The innermost message of an activity failure, and how many attempts were spent. */
function describeFailure(err: unknown, step: Step): { message: string; attempts: number } {
  // Cancellation and bugs are not step failures.
  if (!(err instanceof ActivityFailure) || isCancellation(err)) throw err;
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
