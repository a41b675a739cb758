/**
 * Pauses the incident keeps in force. An OpenClaw suspension (`openclawPause`) is a lease the
 * gateway ends by itself after ~2 min; the incident renews it for as long as it needs the
 * pause: until the pause is undone (a cancelled incident), a later step stops or resumes that
 * gateway (`pauseLease: 'ends'` in the catalogue), or the incident ends.
 *
 * Why a workflow timer and one short activity per renewal rather than one long heartbeating
 * activity: the timer lives on the server, so a dead worker costs no renewal (whichever worker
 * is up runs the next one) and no worker slot is held for the life of the pause; each renewal
 * and its answer is in the history; a failure comes back to the workflow, which puts it in the
 * timeline; and stopping is cancelling a timer, at once, where a heartbeating activity learns
 * of its cancellation only at its next heartbeat. The price is about ten history events per
 * renewal, one renewal every ~80 s: some 11 000 events for a day-long pause, well inside a
 * workflow's history limit (a pause needed for days should become a stop).
 */
import { ActivityCancellationType, CancellationScope, isCancellation, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { LeaseActivities, PauseLease } from '../activities/openclaw/lease';
import type { OpenClawGateway, Step, StepResult, TimelineEvent } from '../contract';
import { ACTIONS } from '../contract/catalogue';
import type { RunContext } from './run-context';

/** Renew when this much of the lease is left: room for a renewal's three attempts (≤ 33 s) before it runs out. */
const RENEW_WHEN_LEFT_MS = 40_000;
/** After a renewal failed (its retries spent): try again this soon while the lease holds, this often once it ran out. */
const RETRY_WHILE_HELD_MS = 5_000;
const RETRY_AFTER_LAPSE_MS = 30_000;

const { renewPause } = proxyActivities<LeaseActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 3 },
  // A renewal sent after the undo's resume would suspend the gateway again: stopping waits until none is in flight.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  summary: 'renew the pause of an OpenClaw gateway',
});

interface Held {
  step: string;
  gateway: string;
  scope: CancellationScope;
  done: Promise<void>;
}

/** The leases an incident holds; one per run of the workflow (see RunContext). */
export class Leases {
  private held: Held[] = [];

  /** `root`: the workflow's root scope, so a lease outlives the group its step ran in and ends with a cancelled incident. */
  constructor(private readonly root: CancellationScope) {}

  /** After a step succeeded: keep the lease its result holds, if any. */
  keep(ctx: RunContext, step: Step, result: StepResult): void {
    if (ctx.drill || ACTIONS[step.action].pauseLease !== 'takes') return;
    const data = result.data;
    if (typeof data?.suspensionId !== 'string' || typeof data.expiresAtMs !== 'number') return;
    // Incidents that paused before renewals existed let the lease run out, as they did. Those
    // started under LOCAL_STEPS_PATCH renew without asking: a `patched()` asked after a local
    // activity (the pause itself is one) breaks replay after a crash (see presets.ts).
    if (!ctx.localSteps && !patched('pause-lease-renewal')) return;
    const gateway = step.args as OpenClawGateway;
    const first: PauseLease = {
      suspensionId: data.suspensionId,
      expiresAtMs: data.expiresAtMs,
      leftMs: typeof data.leaseLeftMs === 'number' ? data.leaseLeftMs : data.expiresAtMs - Date.now(),
    };
    const scope = new CancellationScope({ cancellable: true, parent: this.root });
    const done = scope
      .run(() => renewUntilReleased(ctx, step.id, gateway, first))
      .catch((err: unknown) => {
        if (!isCancellation(err)) throw err;
      });
    this.held.push({ step: step.id, gateway: gateway.gateway, scope, done });
  }

  // Callers await the releases below only when `endedBy` or `any` says there is one: an await
  // is a turn of the workflow's event loop, and an extra one reorders the commands of incidents
  // that hold no lease, whose recorded histories must replay unchanged.

  /** Whether any lease is held. */
  get any(): boolean {
    return this.held.length > 0;
  }

  /** Whether this step stops or resumes a gateway the incident holds a pause on. */
  endedBy(step: Step): boolean {
    return ACTIONS[step.action].pauseLease === 'ends' && this.held.some((h) => h.gateway === (step.args as { gateway?: unknown }).gateway);
  }

  /** Before such a step runs: stop renewing the pause it ends; returns once no renewal is in flight. */
  releaseFor(ctx: RunContext, step: Step): Promise<void> {
    const gateway = (step.args as { gateway?: unknown }).gateway;
    return this.release(
      ctx,
      this.held.filter((h) => h.gateway === gateway),
      `${step.id} (${step.action}) takes over the gateway`,
    );
  }

  /** Stop renewing every lease (the incident is ending or undoing its changes); returns once no renewal is in flight. */
  releaseAll(ctx: RunContext, why: string): Promise<void> {
    return this.release(ctx, this.held, why);
  }

  private async release(ctx: RunContext, leases: Held[], why: string): Promise<void> {
    this.held = this.held.filter((h) => !leases.includes(h));
    for (const lease of leases) lease.scope.cancel();
    await Promise.all(leases.map((l) => l.done));
    for (const lease of leases) {
      const expires = ctx.tracker.step(lease.step).result?.expiresAtMs;
      const until = typeof expires === 'number' ? `; it resumes by itself at ${new Date(expires).toISOString()} unless resumed or stopped before` : '';
      note(ctx, { kind: 'pause-released', step: lease.step, message: `no longer renewing the pause of ${lease.gateway}: ${why}${until}` });
    }
    ctx.publish();
  }
}

/** Renew before each expiry until cancelled; every failure and lapse goes into the timeline. */
async function renewUntilReleased(ctx: RunContext, stepId: string, gateway: OpenClawGateway, first: PauseLease): Promise<never> {
  let lease = first;
  let heldUntil = Date.now() + first.leftMs;
  let failing: string | undefined;
  let lapsed = false;
  let waitMs = Math.max(first.leftMs - RENEW_WHEN_LEFT_MS, 1_000);
  for (;;) {
    await sleep(waitMs);
    try {
      const next = await renewPause({ stepId, gateway, suspensionId: lease.suspensionId });
      const result = ctx.tracker.step(stepId).result ?? {};
      result.expiresAtMs = next.expiresAtMs;
      result.renewals = (typeof result.renewals === 'number' ? result.renewals : 0) + 1;
      delete result.renewalError;
      if (next.suspensionId !== lease.suspensionId) {
        // The lease ran out and this renewal took a new one: the undo must resume the new one.
        result.suspensionId = next.suspensionId;
        const undo = result.undo as { action: string; args: Record<string, unknown> } | undefined;
        if (undo?.args) result.undo = { ...undo, args: { ...undo.args, resume: next.suspensionId } };
        if (!lapsed) lapsedNote(ctx, stepId, gateway, heldUntil);
      }
      if (failing || lapsed || next.suspensionId !== lease.suspensionId)
        note(ctx, { kind: 'pause-renewed', step: stepId, message: `${gateway.gateway} is suspended again, until ${new Date(next.expiresAtMs).toISOString()}` });
      lease = next;
      heldUntil = Date.now() + next.leftMs;
      failing = undefined;
      lapsed = false;
      waitMs = Math.max(next.leftMs - RENEW_WHEN_LEFT_MS, 1_000);
    } catch (err) {
      if (isCancellation(err)) throw err;
      const message = failureMessage(err);
      const result = ctx.tracker.step(stepId).result;
      if (result) result.renewalError = message;
      if (failing === undefined)
        note(ctx, {
          kind: 'pause-renewal-failed',
          step: stepId,
          message: `renewing the pause of ${gateway.gateway} failed (${message}); the lease runs out at ${new Date(heldUntil).toISOString()}, retrying until then`,
        });
      failing = message;
      if (!lapsed && Date.now() >= heldUntil) {
        lapsed = true;
        lapsedNote(ctx, stepId, gateway, heldUntil);
      }
      waitMs = lapsed ? RETRY_AFTER_LAPSE_MS : RETRY_WHILE_HELD_MS;
    }
    ctx.publish();
  }
}

function lapsedNote(ctx: RunContext, stepId: string, gateway: OpenClawGateway, at: number): void {
  note(ctx, {
    kind: 'pause-lapsed',
    step: stepId,
    message: `the pause of ${gateway.gateway} ran out at ${new Date(at).toISOString()} before it was renewed: the gateway admits work again until a renewal suspends it anew`,
  });
}

/** The cause of an activity failure, in one line. */
function failureMessage(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

/** A timeline entry written by the workflow's clock (the tracker's own). */
function note(ctx: RunContext, event: Omit<TimelineEvent, 'at'>): void {
  ctx.tracker.progress.timeline.push({ at: new Date().toISOString(), ...event });
}
