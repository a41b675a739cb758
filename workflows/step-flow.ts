/**
 * One step's way through the incident: its approval gate, the pause, the durable-control wait
 * before the note, the run-time guard of the ordering rules, then the activity with the step's
 * failure policy. A lone step and each member of a parallel group go the same way.
 */
import { ActivityFailure, ApplicationFailure, condition, isCancellation, sleep, TemporalFailure } from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import type { Step } from '../contract';
import { phaseOf } from '../contract/catalogue';
import { approvalGate, controlGate, skip, unpaused } from './gates';
import { activityOptionsFor, runsLocally } from './presets';
import { runStep } from './run-step';
import { IncidentEnd, type RunContext } from './run-context';
import type { Evidence } from './tracker';

/** How a step ended, for the group it may belong to. */
export type Outcome = 'succeeded' | 'failed' | 'skipped';

/** A lone step: gate, then everything else. */
export function runOne(ctx: RunContext, step: Step): Promise<Outcome> {
  if (!ctx.lean || step.approval?.required) return gatedOne(ctx, step);
  ctx.tracker.enter(step);
  return proceed(ctx, step);
}

async function gatedOne(ctx: RunContext, step: Step): Promise<Outcome> {
  ctx.tracker.enter(step);
  if (step.approval?.required && (await approvalGate(ctx, step)) === 'skip') return 'skipped';
  return proceed(ctx, step);
}

export interface ProceedOptions {
  /** Guard against this evidence instead of the latest: a group's members see only what finished before the group. */
  evidence?: Evidence;
  /** Record a failure and return, leaving the policy to the caller (a group joined by `any`). */
  deferFailure?: boolean;
}

/** Everything after the gate: wait out a pause, hold the note for a control, guard the rules, run. */
export function proceed(ctx: RunContext, step: Step, o: ProceedOptions = {}): Promise<Outcome> {
  // The usual way (not paused, no control to wait for) awaits nothing before the activity.
  if (ctx.lean && !ctx.tracker.isPaused() && !holdsForControl(ctx, step)) return guardAndRun(ctx, step, o);
  return waitThenRun(ctx, step, o);
}

const holdsForControl = (ctx: RunContext, step: Step) => step.action === 'writeNote' && !!ctx.input.playbook;

function guardAndRun(ctx: RunContext, step: Step, o: ProceedOptions): Promise<Outcome> {
  const settled = settleInWorkflow(ctx, step, o);
  if (settled === undefined) return attempt(ctx, step, o.deferFailure ?? false);
  return settled instanceof IncidentEnd ? Promise.reject(settled) : Promise.resolve(settled);
}

/** As {@link proceed}, with the awaits incidents started before {@link RunContext.lean} took: kept for their replay. */
async function waitThenRun(ctx: RunContext, step: Step, o: ProceedOptions): Promise<Outcome> {
  await unpaused(ctx);
  if (holdsForControl(ctx, step)) await controlGate(ctx, step);
  const settled = settleInWorkflow(ctx, step, o);
  if (settled instanceof IncidentEnd) throw settled;
  return settled ?? attempt(ctx, step, o.deferFailure ?? false);
}

/**
 * What a step comes to without an activity: a control the workflow records itself, or a refusal
 * by the ordering rules (the incident's end, or a failure a drill collects); otherwise nothing.
 */
function settleInWorkflow(ctx: RunContext, step: Step, o: ProceedOptions): Outcome | IncidentEnd | undefined {
  const { tracker, input, drill } = ctx;
  if (step.action === 'recordControl') {
    tracker.addControl(step.args.kind, step.args.note, input.playbook ? `playbook ${input.playbook.name}` : 'incident', step.id);
    tracker.succeeded(step, { summary: `control ${step.args.kind} recorded by the workflow` });
    ctx.publish();
    return 'succeeded';
  }
  const refused = tracker.violation(step, o.evidence);
  if (!refused) return undefined;
  tracker.failed(step.id, refused, 0);
  return drill ? 'failed' : new IncidentEnd('failed', 'IncidentFailed', refused);
}

/** Run a step; on failure apply its policy (abort, continue, or ask an operator). */
async function attempt(ctx: RunContext, step: Step, deferFailure: boolean): Promise<Outcome> {
  const { tracker, input, drill } = ctx;
  for (;;) {
    if (!ctx.lean || tracker.isPaused()) await unpaused(ctx);
    if (ctx.leases.endedBy(step)) await ctx.leases.releaseFor(ctx, step);
    tracker.started(step.id);
    ctx.publish();
    try {
      const result = await runStep(step, { plan: drill, input, progress: tracker.progress, localSteps: ctx.localSteps, runLocal: ctx.runLocal });
      tracker.succeeded(step, result);
      ctx.leases.keep(ctx, step, result);
      ctx.publish();
      return 'succeeded';
    } catch (err) {
      // A failed local step may end the incident (cancelling the status updates' timer): a task
      // boundary first, so the end lands in the same task on replay (see incident.ts).
      if (runsLocally(step, ctx.runLocal) && !isCancellation(err)) await sleep(1);
      const { message, attempts } = describeFailure(err, step, runsLocally(step, ctx.runLocal));
      tracker.failed(step.id, message, attempts);
      // A drill collects every problem instead of stopping at the first.
      if (drill || deferFailure || step.onFailure === 'continue') {
        ctx.publish();
        return 'failed';
      }
      if ((await onFailure(ctx, step, message)) === 'retry') continue;
      return 'skipped';
    }
  }
}

/**
 * The failed step's policy: `abort` ends the incident, `ask` waits for an operator's retry,
 * skip or abort. Concurrent steps ask one at a time: the incident has one operator question.
 */
export async function onFailure(ctx: RunContext, step: Step, message: string): Promise<'retry' | 'skipped'> {
  const { tracker } = ctx;
  if (step.onFailure === 'abort') throw new IncidentEnd('failed', 'IncidentFailed', `step "${step.id}" (${phaseOf(step)}) failed: ${message}`);
  while (tracker.progress.pendingOperator) await condition(() => tracker.progress.pendingOperator === undefined);
  tracker.askOperator(step.id, message);
  ctx.publish();
  // Taken inside the condition: another step may ask next, and that resets the answer.
  let answer = tracker.operatorDecision();
  await condition(() => {
    answer = tracker.operatorDecision();
    return answer?.step === step.id;
  });
  if (answer!.decision === 'skip') {
    skip(ctx, step, `skipped by ${answer!.by} after failing`);
    return 'skipped';
  }
  if (answer!.decision === 'abort') throw new IncidentEnd('aborted', 'IncidentAborted', `step "${step.id}" failed and ${answer!.by} aborted the incident`);
  tracker.retrying(step.id);
  return 'retry';
}

/**
 * The innermost message of an activity failure, and how many attempts were spent. A local
 * activity's failure reaches the workflow as the activity's own failure (an `ApplicationFailure`
 * or a `TimeoutFailure`), not wrapped in an `ActivityFailure`: taken for a bug, it used to end the
 * incident without its record, whose query then answered "running" for a failed incident.
 */
function describeFailure(err: unknown, step: Step, local: boolean): { message: string; attempts: number } {
  // Cancellation and bugs are not step failures.
  if (isCancellation(err)) throw err;
  const remote = err instanceof ActivityFailure;
  if (!remote && !(local && err instanceof TemporalFailure)) throw err;
  const cause = remote ? err.cause : err;
  const message = cause?.message ?? err.message;
  let attempts = 1;
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as { attempt?: number } | undefined;
    if (typeof detail?.attempt === 'number') attempts = detail.attempt;
  }
  if (err instanceof ActivityFailure && err.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED) {
    attempts = Math.max(attempts, activityOptionsFor(step).retry?.maximumAttempts ?? attempts);
  }
  return { message: cause instanceof ApplicationFailure && cause.type ? `${cause.type}: ${message}` : message, attempts };
}
