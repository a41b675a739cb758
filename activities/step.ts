/**
 * `defineStep` turns an action's implementation into a Temporal activity with the behaviour
 * every step shares: parse arguments with the action's schema, replay a finished step from
 * the journal, record attempts, and map errors onto the failure vocabulary.
 */
import { Context } from '@temporalio/activity';
import { actionArgs, formatIssues, type ActionArgs, type ActionName, type PlannedEffect, type StepContext, type StepResult } from '../contract';
import type { ActivityDeps } from './deps';
import { StepError, toFailure } from './errors';
import { Journal, type JournalEntry, type StepKey } from './journal';

export interface StepIO {
  deps: ActivityDeps;
  key: StepKey;
  journal: Journal;
  /** Earlier `pending` record of this same step, when a previous attempt got that far. */
  pending: JournalEntry | undefined;
  /** Record what a retry needs to recognise this attempt's work, before doing it. */
  markPending(record: Record<string, unknown>): void;
  heartbeat(details?: unknown): void;
  signal: AbortSignal;
  /** The incident's progress, for the one step that is given it (writeNote). */
  progress: StepContext['progress'];
}

export type StepImpl<A extends ActionName> = (io: StepIO, args: ActionArgs<A>) => Promise<StepResult>;

/**
 * Plan mode (drills): list exactly what `run` would do, reading at most. It may throw the same
 * `StepError` the real run would (a missing file, a key not set), so a drill finds broken
 * playbooks before the incident does.
 */
export type PlanImpl<A extends ActionName> = (args: ActionArgs<A>, key: StepKey) => PlannedEffect[] | Promise<PlannedEffect[]>;

export interface StepDefinition<A extends ActionName> {
  run: StepImpl<A>;
  plan: PlanImpl<A>;
}

/** How often a running step heartbeats; well under the shortest heartbeat timeout a preset sets (10 s). */
const STEP_HEARTBEAT_MS = 2_000;

export function defineStep<A extends ActionName>(deps: ActivityDeps, action: A, definition: StepDefinition<A>) {
  const journal = new Journal(deps.home);
  return async (ctx: StepContext, rawArgs: unknown): Promise<StepResult> => {
    const context = Context.current();
    const { attempt, workflowExecution } = context.info;
    const ranFrom = deps.now().toISOString();
    const ran = () => ({ ranFrom, ranTo: deps.now().toISOString() });
    try {
      const parsed = actionArgs[action].safeParse(rawArgs);
      if (!parsed.success) throw new StepError('InvalidArguments', `${action}: ${formatIssues(parsed.error).join('; ')}`);
      if (!workflowExecution) throw new StepError('InvalidArguments', `${action} runs only as a step of an incident workflow`);
      const key: StepKey = { workflowId: workflowExecution.workflowId, runId: workflowExecution.runId, stepId: ctx.stepId };
      if (ctx.plan) {
        const effects = await definition.plan(parsed.data as ActionArgs<A>, key);
        const summary = effects.length ? `would ${effects.map((e) => e.detail).join('; ')}` : 'would change nothing';
        return { summary, data: { plan: true, effects }, attempt, ...ran() };
      }
      const previous = journal.read<Record<string, unknown>>(key);
      if (previous?.state === 'done' && previous.result) {
        deps.logger.info({ action, step: ctx.stepId, attempt }, 'step already done; replaying its result');
        return { ...previous.result, attempt, replayed: true, ...ran() };
      }
      let record = previous?.record;
      // A steady heartbeat for as long as the step runs, with the step's own latest details,
      // from the first tick on (none at the start: a step that ends within one tick needs none):
      // steps with a heartbeat timeout are then noticed within it when their worker dies,
      // whether or not their implementation heartbeats along the way.
      let details: unknown;
      const beat = () => (details === undefined ? context.heartbeat() : context.heartbeat(details));
      const timeoutMs = context.info.heartbeatTimeoutMs;
      // A local activity has no heartbeat: its workflow task's timeout notices a dead worker.
      const ticker = context.info.isLocal ? undefined : setInterval(beat, timeoutMs ? Math.min(STEP_HEARTBEAT_MS, timeoutMs / 3) : STEP_HEARTBEAT_MS);
      const io: StepIO = {
        deps,
        key,
        journal,
        pending: previous,
        markPending: (next) => {
          record = next;
          journal.write({ key, action, state: 'pending', at: deps.now().toISOString(), record });
        },
        // Remember the latest details for the ticker instead of sending them now: a heartbeat is
        // a server write, and most steps finish long before the first tick.
        heartbeat: (next) => {
          if (next !== undefined) details = next;
        },
        signal: context.cancellationSignal,
        progress: ctx.progress,
      };
      const result = await definition.run(io, parsed.data as ActionArgs<A>).finally(() => clearInterval(ticker));
      journal.write({ key, action, state: 'done', at: deps.now().toISOString(), ...(record ? { record } : {}), result });
      deps.logger.info({ action, step: ctx.stepId, attempt }, result.summary);
      return { ...result, attempt, ...ran() };
    } catch (err) {
      // Whatever a cancelled step threw on its way out (a killed command's exit code, say),
      // Temporal must see the cancellation, not a failure to retry.
      if (context.cancellationSignal.aborted && context.cancellationSignal.reason instanceof Error) throw context.cancellationSignal.reason;
      deps.logger.warn({ action, step: ctx.stepId, attempt, err: err instanceof Error ? err.message : String(err) }, 'step failed');
      throw toFailure(err, attempt);
    }
  };
}

/** Run `work` while heartbeating every `everyMs`, so a dead worker is noticed quickly. */
export async function withHeartbeat<T>(io: StepIO, work: Promise<T>, everyMs = 2_000): Promise<T> {
  io.heartbeat();
  const timer = setInterval(() => io.heartbeat(), everyMs);
  try {
    const result = await work;
    // A command killed by cancellation returns normally: stop here instead of acting on it.
    io.signal.throwIfAborted();
    return result;
  } finally {
    clearInterval(timer);
  }
}

/**
 * Ask `probe` until `done` says yes or `timeoutMs` passes, heartbeating; returns the last
 * answer either way (the caller decides what a timeout means). Stops early on cancellation.
 */
export async function pollUntil<T>(io: StepIO, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() >= deadline || io.signal.aborted) return value;
    io.heartbeat();
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
