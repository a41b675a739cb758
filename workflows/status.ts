/**
 * Regular status updates while the incident is open (the runbook's "communicate early and
 * often"): one every `statusEvery`, or the severity's cadence, even when nothing changed.
 */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { STATUS_EVERY } from '../contract/severity';
import { announce } from './announce';
import type { RunContext } from './run-context';

/** Start the updates in their own scope; returns the function that stops them. */
export function startStatusUpdates(ctx: RunContext): () => void {
  const every = ctx.input.statusEvery ?? STATUS_EVERY[ctx.input.severity];
  if (every === 'off') return () => {};
  const scope = new CancellationScope();
  const ticking = scope.run(async () => {
    for (;;) {
      await sleep(every as Duration);
      const text = ctx.tracker.statusUpdate();
      announce(ctx.tracker.progress.incidentId, 'info', text);
      ctx.publish();
    }
  });
  // Stopping (or cancelling the incident) rejects the pending sleep: that is the way out.
  void ticking.catch((err: unknown) => {
    if (!isCancellation(err)) throw err;
  });
  return () => scope.cancel();
}
