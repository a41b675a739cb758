/**
 * Cancellation as a saga: undo each change the incident made, newest first. Runs in a
 * non-cancellable scope (the cancellation already happened; the undo must finish), and an
 * undo's own failure is logged and recorded, never thrown over the cancellation.
 */
import { ActivityFailure, CancellationScope, log } from '@temporalio/workflow';
import type { Step } from '../contract';
import { runStep } from './run-step';
import type { RunContext } from './run-context';
import { undoFor } from './undo';

/**
 * `interrupted`: the steps that were running when the cancellation arrived. They may have
 * acted, so they are undone too (each undo is safe to run when the step did nothing), before
 * the steps that finished: they are the newest changes.
 */
export function compensate(ctx: RunContext, interrupted: Step[]): Promise<void> {
  return CancellationScope.nonCancellable(async () => {
    const { tracker, input } = ctx;
    tracker.cancelRequested();
    ctx.publish();
    if (ctx.drill) return; // a drill changed nothing
    // Before any undo: a renewal landing after the resume would suspend the gateway again.
    if (ctx.leases.any) await ctx.leases.releaseAll(ctx, 'the incident was cancelled: its undo resumes the gateway');
    // Newest change first: by when each step finished, not by its place in the playbook.
    const byId = new Map(input.steps.map((s) => [s.id, s]));
    const succeeded = tracker.succeededInOrder().map((id) => byId.get(id)!);
    for (const step of [...succeeded, ...interrupted].reverse()) {
      const progress = tracker.step(step.id);
      const plan = undoFor(step, interrupted.includes(step) ? undefined : progress.result, tracker.progress);
      if (plan.kind === 'none') continue;
      if (plan.kind === 'impossible') {
        tracker.undone(step.id, undefined, 'impossible', plan.why);
        ctx.publish();
        continue;
      }
      tracker.undoStarted(step.id, plan.step.action);
      ctx.publish();
      try {
        const result = await runStep(plan.step, { plan: false, input, progress: tracker.progress, localSteps: ctx.localSteps, runLocal: ctx.runLocal });
        tracker.undone(step.id, plan.step.action, 'succeeded', result.summary);
      } catch (err) {
        const message = err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : err instanceof Error ? err.message : String(err);
        log.error('undo failed; going on with the next one', { step: step.id, action: plan.step.action, error: message });
        tracker.undone(step.id, plan.step.action, 'failed', `${plan.step.action} failed: ${message}`);
      }
      ctx.publish();
    }
  });
}
