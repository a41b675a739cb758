/**
 * The `incident` workflow: runs an incident's steps in order as activities (the members of a
 * parallel group and the items of a fan-out side by side, see parallel.ts), holding at
 * approval gates until enough people approve, asking an operator when a step with
 * `onFailure: ask` fails, holding while paused, undoing its changes when cancelled, and (for
 * playbooks) refusing to close without a durable control.
 *
 * Runs in Temporal's sandbox: deterministic, no Node APIs. Time comes from the workflow
 * clock (`Date` is replay-safe here), logs from `log` (silent during replay).
 */
import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  setCurrentDetails,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { IncidentInputDraft, IncidentProgress } from '../contract';
import { batches, isSequential } from '../contract/parallel';
import { registerHandlers } from './handlers';
import { Leases } from './leases';
import { INVALID_INPUT, inputProblems, presumedInput } from './input';
import { INCIDENT_CLASS_KEY, INCIDENT_PHASE_KEY, INCIDENT_SEVERITY_KEY } from '../contract/search-attributes';
import { STATE_MEMO } from '../contract/definitions';
import { runConcurrently } from './parallel';
import { IncidentEnd, type RunContext } from './run-context';
import { compensate } from './saga';
import { LEAN_STEPS_PATCH, LOCAL_RUN_PATCH, LOCAL_STEPS_PATCH, runsLocally } from './presets';
import { runOne } from './step-flow';
import { startStatusUpdates } from './status';
import { IncidentTracker } from './tracker';

/**
 * Every incident started since this patch carries its one marker in place of one per earlier
 * patch below. Each `patched()` is a marker and an upsert of `TemporalChangeVersion` (a
 * visibility write) in history: the seven asked at every new incident's start were 14 of its
 * first 24 events. Incidents started before it ask the earlier patches as they did. A patch
 * added from now on is asked on its own, after this one. Incidents under it also take the
 * phase and state their start carries as already recorded.
 */
export const BASELINE_PATCH = 'baseline-2026-12';

export async function incident(draft: IncidentInputDraft): Promise<IncidentProgress> {
  const input = await presumedInput(draft);
  const drill = input.mode === 'drill';
  // Asked first, before any local activity can run (see LOCAL_STEPS_PATCH), as are the rest.
  const baseline = patched(BASELINE_PATCH);
  const since = (patchId: string) => baseline || patched(patchId);
  // Incidents started before approver identity existed keep believing typed names on replay.
  const proofs = since('approver-identity');
  const localSteps = since(LOCAL_STEPS_PATCH);
  const runLocal = localSteps && since(LOCAL_RUN_PATCH);
  const lean = runLocal && since(LEAN_STEPS_PATCH);
  const tracker = new IncidentTracker(workflowInfo().workflowId, input, () => new Date().toISOString(), { proofs });
  // Search attributes are set by the client at start when the server has them registered;
  // upserting an unregistered one would fail every workflow task, so follow the client's lead.
  const searchable = workflowInfo().typedSearchAttributes.get(INCIDENT_CLASS_KEY) !== undefined;
  // Each upsert is a history event: write the phase only when it changes. Incidents started
  // before this change upserted on every publish and must keep doing so on replay.
  const upsertOnChangeOnly = since('upsert-phase-on-change');
  // Since the baseline, the phase and state a start carries count as recorded (the client sets both).
  let publishedPhase: string | undefined = baseline && searchable ? workflowInfo().typedSearchAttributes.get(INCIDENT_PHASE_KEY) : undefined;
  // `tourniquet list` reads the incident's own state from the memo (no query to a worker per
  // row). Each upsert is a history event: only on change, and only for incidents started since.
  const stateMemo = since('state-memo');
  const startState = workflowInfo().memo?.[STATE_MEMO];
  let publishedState: string | undefined = baseline && typeof startState === 'string' ? startState : undefined;
  const ctx: RunContext = {
    input,
    drill,
    tracker,
    localSteps,
    runLocal,
    lean,
    leases: new Leases(CancellationScope.current()),
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
    publishSeverity() {
      setCurrentDetails(tracker.details());
      if (searchable) upsertSearchAttributes([{ key: INCIDENT_SEVERITY_KEY, value: tracker.progress.severity }]);
    },
  };
  registerHandlers(ctx);
  ctx.publish();
  // A timer for every open incident changes the command sequence of incidents started before
  // status updates existed: only incidents started since get them.
  const stopStatusUpdates = !drill && since('status-updates') ? startStatusUpdates(ctx) : () => {};

  try {
    const invalid = await inputProblems(draft, baseline);
    if (invalid) throw new IncidentEnd('failed', INVALID_INPUT, invalid);
    const all = batches(input.steps);
    const local = (batch: typeof input.steps | undefined) => !!batch && batch.some((s) => runsLocally(s, runLocal));
    for (const [i, batch] of all.entries()) {
      if (isSequential(batch)) await runOne(ctx, batch[0]!);
      else await runConcurrently(ctx, batch);
      // A local activity's result may reach the workflow in a later task than its marker's on
      // replay; a timer started and cancelled in one task leaves no events. A 1 ms timer after
      // the last local step puts a task boundary in the same place on both, before anything
      // (the end of the incident) cancels the status updates' timer.
      if (local(batch) && !local(all[i + 1])) await sleep(1);
    }
  } catch (err) {
    stopStatusUpdates();
    if (isCancellation(err)) {
      // Every step still running may have acted: each is undone too.
      const interrupted = input.steps.filter((s) => tracker.step(s.id).status === 'running');
      for (const step of interrupted) tracker.failed(step.id, 'cancelled while running: its effect, if any, is undone below', tracker.step(step.id).attempts);
      await compensate(ctx, interrupted);
      tracker.finish('cancelled', `cancelled; ${describeUndo(tracker.progress)}`);
      ctx.publish();
      throw err; // the workflow ends as cancelled
    }
    if (!(err instanceof IncidentEnd)) throw err;
    if (ctx.leases.any) await ctx.leases.releaseAll(ctx, `the incident ${err.state === 'aborted' ? 'was aborted' : 'failed'}`);
    tracker.finish(err.state, err.message);
    ctx.publish();
    throw ApplicationFailure.nonRetryable(err.message, err.type);
  }
  stopStatusUpdates();
  if (ctx.leases.any) await ctx.leases.releaseAll(ctx, 'the incident is closing');
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
}

function describeUndo(p: IncidentProgress): string {
  const undo = p.undo ?? [];
  if (!undo.length) return 'nothing to undo';
  const count = (status: string) => undo.filter((u) => u.status === status).length;
  return `${count('succeeded')} change(s) undone, ${count('failed')} undo(s) failed, ${count('impossible')} cannot be undone`;
}
