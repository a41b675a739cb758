/**
 * A batch of steps that run side by side: the members of a parallel group, the items of a
 * fan-out, or both. Each member is its own activity with its own retry, journal key, undo and
 * timeline entries; the batch adds what concurrency needs: a limit per fan-out, an error
 * threshold, one gate for many, and the join.
 *
 * Deterministic: members start in list order, and every wait is a promise or a `condition`
 * the SDK resolves in event order, so a replay takes the same turns.
 */
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { Step } from '../contract';
import { approvalGate, skip } from './gates';
import { IncidentEnd, type RunContext } from './run-context';
import { onFailure, proceed, type Outcome } from './step-flow';

/**
 * At most `max` holders at once. A release hands its slot straight to the oldest waiter: a
 * `condition` would wake every waiter at once, and they would all see a free slot.
 */
export class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  acquire(): Promise<void> {
    if (this.running < this.max) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}

/** Why the batch stopped its own members early; undefined while it has not. */
type Stop = { kind: 'ended'; error: IncidentEnd; by: string } | { kind: 'joined'; by: string };

export async function runConcurrently(ctx: RunContext, batch: Step[]): Promise<void> {
  const { tracker } = ctx;
  const join = batch[0]!.group?.join ?? 'all';
  // Members rely only on what finished before the batch (the compiler proved the order on that).
  const evidence = tracker.evidenceSoFar();
  tracker.enter(batch[0]!);
  ctx.publish();

  const limits = new Map<string, Limiter>();
  const failures = new Map<string, number>();
  for (const s of batch) if (s.fanOut && !limits.has(s.fanOut.step)) limits.set(s.fanOut.step, new Limiter(s.fanOut.maxConcurrency));
  let stop: Stop | undefined;
  let settledSlots = false;
  const failed: { step: Step; message: string }[] = [];
  const scope = new CancellationScope();

  // A gate meant once for many: its holder's decision releases (or skips) every member it covers.
  const gates = new Map<Step, { holder: Step; decision: Promise<'run' | 'skip'> }>();
  const openGates = () => {
    for (const holder of batch) {
      const covered = coveredBy(batch, holder);
      if (!covered.length) continue;
      const decision = approvalGate(ctx, holder);
      // Handled by every member that awaits it; this keeps an early rejection from going unheard.
      decision.catch(() => undefined);
      for (const s of covered) gates.set(s, { holder, decision });
    }
  };

  const member = async (step: Step): Promise<void> => {
    const limit = step.fanOut ? limits.get(step.fanOut.step) : undefined;
    let held = false;
    try {
      if (limit) {
        // A cancelled batch stops waiting for a slot; a slot granted after that is handed on at once.
        const slot = limit.acquire().then(() => {
          if (settledSlots) limit.release();
          else held = true;
        });
        await Promise.race([slot, CancellationScope.current().cancelRequested]);
      }
      const why = notLaunching(step);
      if (why) return void skip(ctx, step, why);
      const gate = gates.get(step);
      if (gate) {
        if ((await gate.decision) === 'skip') {
          if (gate.holder !== step) skip(ctx, step, `skipped: the gate at "${gate.holder.id}" that covers it was skipped`);
          return;
        }
      } else if (step.approval?.required && (await approvalGate(ctx, step)) === 'skip') return;
      const outcome: Outcome = await proceed(ctx, step, { evidence, deferFailure: join === 'any' });
      if (outcome === 'failed') {
        failed.push({ step, message: tracker.step(step.id).error ?? 'failed' });
        if (step.fanOut) failures.set(step.fanOut.step, (failures.get(step.fanOut.step) ?? 0) + 1);
      }
      // A drill lets every member report its plan.
      if (outcome === 'succeeded' && join === 'any' && !stop && !ctx.drill) {
        stop = { kind: 'joined', by: step.id };
        scope.cancel();
      }
    } catch (err) {
      if (err instanceof IncidentEnd && !stop) {
        stop = { kind: 'ended', error: err, by: step.id };
        scope.cancel();
      }
      throw err;
    } finally {
      if (held) limit!.release();
      held = false;
    }
  };

  /** Why a member is not started at all: the batch stopped, or its fan-out failed too often. */
  const notLaunching = (step: Step): string | undefined => {
    if (stop?.kind === 'joined') return `skipped: not needed, "${stop.by}" succeeded first (join: any)`;
    if (stop?.kind === 'ended') return `skipped: the group stopped when "${stop.by}" ended the incident`;
    const threshold = step.fanOut?.errorThreshold;
    const count = step.fanOut ? (failures.get(step.fanOut.step) ?? 0) : 0;
    if (threshold !== undefined && count >= threshold)
      return `skipped: not launched, ${count} item(s) of "${step.fanOut!.step}" failed (errorThreshold ${threshold})`;
    return undefined;
  };

  const settled = await scope.run(() => {
    openGates();
    return Promise.allSettled(batch.map((s) => member(s)));
  });
  settledSlots = true;

  // Members the batch itself cancelled (a join met, the incident ended) did not fail on their own.
  if (stop) {
    const cause = stop.kind === 'joined' ? `not needed, "${stop.by}" succeeded first (join: any)` : `the group stopped when "${stop.by}" ended the incident`;
    for (const s of batch) {
      const status = tracker.step(s.id).status;
      // A member cancelled because the join was met is not needed, not failed.
      if (status === 'running' && stop.kind === 'ended') tracker.failed(s.id, `cancelled while running: ${cause}`, tracker.step(s.id).attempts);
      else if (status === 'running' || status === 'pending' || status === 'awaiting-approval') tracker.skipped(s.id, `cancelled: ${cause}`);
    }
    ctx.publish();
    if (stop.kind === 'ended') throw stop.error;
    return;
  }
  // The workflow itself was cancelled: the incident's saga undoes what ran.
  const rejected = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  const cancelled = rejected.find((r) => isCancellation(r.reason));
  if (cancelled) throw cancelled.reason;
  if (rejected[0]) throw rejected[0].reason;

  // join: any with no member succeeding: the last failure's policy applies.
  const last = failed.at(-1);
  if (join === 'any' && last && !ctx.drill && last.step.onFailure !== 'continue') {
    ctx.publish();
    if ((await onFailure(ctx, last.step, last.message)) === 'retry') await proceed(ctx, last.step);
  }
  ctx.publish();
}

/** The members whose gate `holder` is when it holds a gate meant once for many; empty for a gate of its own. */
function coveredBy(batch: Step[], holder: Step): Step[] {
  if (!holder.approval?.required) return [];
  if (holder.group?.gate === 'once' && batch.find((s) => s.group) === holder) return batch;
  const fan = holder.fanOut;
  if (fan?.gate === 'once') {
    const items = batch.filter((s) => s.fanOut?.step === fan.step);
    if (items[0] === holder) return items;
  }
  return [];
}
