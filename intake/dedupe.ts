/**
 * Deliver a routed alert to Temporal: one open incident per alert key.
 *
 * A firing delivery is a signal-with-start of `alert` on the id of the key's current incident
 * (`startIncident` with `dedupe`): the first starts the incident, every other one, however
 * concurrent, lands in that incident's timeline. Once that incident has ended, a firing is a
 * re-fire (within the reopen window: a linked follow-up, or only a record) or the start of a
 * new linked incident (generations.ts). A resolved delivery is only a signal: it never starts
 * an incident, and it never closes one either (the workflow just records it). A repeat for an
 * incident this intake knows is a plain `alerts` signal, and repeats that arrive while one is in
 * flight, or within the repeat gap, go together as one (coalesce.ts), each answered once the
 * server has acknowledged its signal; if that incident has ended meanwhile, the delivery takes
 * the signal-with-start path above.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { dedupedIncidentId, startIncident } from '../client/incidents';
import { formatDuration } from '../common/duration';
import { alertSignal, alertsSignal, type AlertNotice, type IncidentClass, type IncidentInput } from '../contract';
import { RepeatCoalescer } from './coalesce';
import { IntakeError } from './errors';
import { GenerationCache, generationId, locate } from './generations';
import { lifecycleSchema, onRefireFor } from './lifecycle';
import { clip, type Delivery } from './sources';

export interface DeliveryOutcome {
  incidentId: string;
  class: IncidentClass;
  /**
   * `started`: a new incident (linked to its predecessor when `follows` is set); `repeat`: the
   * incident already running for the key; `refired`: the key's incident ended within the reopen
   * window (a follow-up started when `follows` is set, else only recorded); `held`: a firing
   * `startAfter` holds and no incident runs for the key.
   */
  outcome: 'started' | 'repeat' | 'refired' | 'held' | 'resolved' | 'resolved-no-incident';
  /** The incident this delivery's new incident follows up. */
  follows?: string;
  /** A run was started by this delivery. */
  startedRun?: boolean;
}

/** What the route's lifecycle asks of one delivery (intake/lifecycle.ts decides it). */
export interface DeliveryPlan {
  /** The lifecycle key: the sender's group key, or the correlation group. */
  key: string;
  /** Id of the key's first incident; later ones are `<baseId>-2`, ... */
  baseId: string;
  reopenWithinMs: number;
  onRefire: 'follow-up' | 'record';
  /** Said in the timeline beside the alert: correlated, flapping, held before. */
  note?: string;
  raiseSeverity?: boolean;
  /** Held by `startAfter`: reach a running incident, start nothing. */
  holdUnlessRunning?: boolean;
}

/** Deliver one alert with the incident input its route resolved to. Throws `IntakeError`s. */
export type DeliverAlert = (input: IncidentInput, delivery: Delivery, receivedAt: Date, plan?: DeliveryPlan) => Promise<DeliveryOutcome>;

/** The deduplication key: the sender's group key, scoped by sender. */
export const incidentKey = (delivery: Delivery): string => `${delivery.source}:${delivery.key}`;

export function alertNoticeOf(delivery: Delivery, receivedAt: Date): AlertNotice {
  return {
    source: delivery.source,
    status: delivery.status,
    fingerprint: clip(delivery.key, 300),
    summary: delivery.summary,
    receivedAt: receivedAt.toISOString(),
  };
}

/** Run ids seen lately, oldest dropped first: tells a run this intake started from one it signaled before. */
class RecentSet {
  private readonly items = new Set<string>();
  constructor(private readonly max: number) {}
  /** True when the value was not there. */
  add(value: string): boolean {
    if (this.items.has(value)) return false;
    this.items.add(value);
    if (this.items.size > this.max) this.items.delete(this.items.values().next().value!);
    return true;
  }
}

/** gRPC statuses that mean "not now": DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE. */
const RETRYABLE_GRPC = new Set([4, 8, 14]);

function unavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === TIMED_OUT || (typeof e.code === 'number' && RETRYABLE_GRPC.has(e.code))) return true;
  }
  return false;
}

const TIMED_OUT = Symbol('timed out');

/**
 * The gRPC deadline alone overshoots: the SDK's retry backoff can sleep past it before the
 * call fails. The sender must hear back in time (PagerDuty waits 5 s), so a timer decides.
 * A call still in flight when it fires can yet land; the sender's retry then adds one more
 * timeline entry to the same incident, nothing more.
 */
async function withinTime<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: TIMED_OUT })), ms);
  });
  try {
    return await Promise.race([fn(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface TemporalDeliveryOptions {
  taskQueue: string;
  /** How long one delivery may wait for Temporal before answering 503 (default 3 s; PagerDuty gives up at 5 s). */
  timeoutMs?: number;
  /** Least time between two signals of repeats to one incident, in ms (coalesce.ts; default 0). */
  repeatGapMs?: number;
}

export interface TemporalDelivery extends DeliverAlert {
  /**
   * Wait for calls still running after their delivery was answered (a 503 on time): close the
   * connection only after this, or the SDK's pending retry throws on the closed channel.
   */
  drain(): Promise<void>;
}

export function temporalDelivery(client: Client, o: TemporalDeliveryOptions): TemporalDelivery {
  const seenRuns = new RecentSet(50_000);
  const generations = new GenerationCache();
  const timeoutMs = o.timeoutMs ?? 3_000;
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(call: Promise<T>): Promise<T> => {
    inFlight.add(call);
    void call.catch(() => undefined).finally(() => inFlight.delete(call));
    return call;
  };

  /** Signal-with-start of one generation; `undefined` when that id's incident has ended. */
  const startOrJoin = async (input: IncidentInput, plan: DeliveryPlan, generation: number, alert: AlertNotice, follows?: string) => {
    try {
      const { id, runId } = await startIncident(client, input, {
        taskQueue: o.taskQueue,
        id: generationId(plan.baseId, generation),
        dedupe: { key: plan.key, alert: follows ? { ...alert, follows } : alert, ...(follows ? { follows } : {}) },
      });
      generations.set(plan.baseId, generation);
      const startedRun = runId !== undefined && seenRuns.add(runId);
      return { id, startedRun };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
      throw err;
    }
  };

  const fireAlone = async (input: IncidentInput, plan: DeliveryPlan, alert: AlertNotice, receivedAt: Date): Promise<DeliveryOutcome> => {
    const base = { class: input.class };
    if (!plan.holdUnlessRunning) {
      // The common case in one call: the remembered generation runs, or the key is new.
      const joined = await startOrJoin(input, plan, generations.get(plan.baseId), alert);
      if (joined) return { ...base, incidentId: joined.id, outcome: joined.startedRun ? 'started' : 'repeat', startedRun: joined.startedRun };
    }
    // Its incident ended (or the generation is not known here): find the latest one. An
    // incident that ends between the look and the start is looked at again.
    for (let tries = 0; tries < 3; tries++) {
      const found = await locate(client, plan.baseId, generations.get(plan.baseId));
      if (found.kind !== 'running' && plan.holdUnlessRunning)
        return { ...base, incidentId: generationId(plan.baseId, found.kind === 'none' ? 1 : found.generation + 1), outcome: 'held' };
      if (found.kind === 'none' || found.kind === 'running') {
        const generation = found.kind === 'none' ? 1 : found.generation;
        const joined = await startOrJoin(input, plan, generation, alert);
        if (joined) return { ...base, incidentId: joined.id, outcome: joined.startedRun ? 'started' : 'repeat', startedRun: joined.startedRun };
        continue;
      }
      generations.set(plan.baseId, found.generation);
      const since = receivedAt.getTime() - found.endedAt.getTime();
      const within = since < plan.reopenWithinMs;
      if (within && plan.onRefire === 'record') return { ...base, incidentId: found.id, outcome: 'refired' };
      const note = within
        ? `re-fired ${formatDuration(since)} after ${found.id} ended: a follow-up of it`
        : `fired again ${formatDuration(since)} after ${found.id} ended (reopen window ${formatDuration(plan.reopenWithinMs)}): a new incident linked to it`;
      const joined = await startOrJoin(
        input,
        plan,
        found.generation + 1,
        { ...alert, note: clip(alert.note ? `${note}; ${alert.note}` : note, 500) },
        found.id,
      );
      if (!joined) continue;
      return {
        ...base,
        incidentId: joined.id,
        outcome: within ? 'refired' : joined.startedRun ? 'started' : 'repeat',
        follows: found.id,
        startedRun: joined.startedRun,
      };
    }
    throw new IntakeError('TemporalUnavailable', `the incidents of key ${plan.key} kept ending while this delivery looked for them: retry`);
  };

  const repeats = new RepeatCoalescer(
    (id, notices) => track(client.connection.withDeadline(Date.now() + timeoutMs, () => client.workflow.getHandle(id).signal(alertsSignal, notices))),
    100,
    o.repeatGapMs ?? 0,
  );

  const fire = async (input: IncidentInput, plan: DeliveryPlan, alert: AlertNotice, receivedAt: Date): Promise<DeliveryOutcome> => {
    // A key whose incident this intake has seen: repeats arriving together go as one signal.
    if (!plan.holdUnlessRunning && generations.has(plan.baseId)) {
      const id = generationId(plan.baseId, generations.get(plan.baseId));
      try {
        // A plain signal, not a signal-with-start: the incident is known to run, so the input,
        // memo and search attributes a start would carry are neither sent nor read by the server.
        await repeats.repeat(id, alert, () => client.workflow.getHandle(id).signal(alertsSignal, [alert]));
        return { class: input.class, incidentId: id, outcome: 'repeat', startedRun: false };
      } catch (err) {
        // That incident has ended since: this delivery looks for the key's current one itself.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    return fireAlone(input, plan, alert, receivedAt);
  };

  /** A resolution reaches the running incident of its key, and never starts one. */
  const resolve = async (input: IncidentInput, plan: DeliveryPlan, alert: AlertNotice): Promise<DeliveryOutcome> => {
    const found = await locate(client, plan.baseId, generations.get(plan.baseId));
    if (found.kind === 'running') {
      try {
        await client.workflow.getHandle(found.id).signal(alertSignal, alert);
        return { incidentId: found.id, class: input.class, outcome: 'resolved' };
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    return { incidentId: found.kind === 'none' ? plan.baseId : found.id, class: input.class, outcome: 'resolved-no-incident' };
  };

  const deliver = async (input: IncidentInput, delivery: Delivery, receivedAt: Date, given?: DeliveryPlan): Promise<DeliveryOutcome> => {
    const plan = given ?? defaultPlan(input, delivery);
    const notice = alertNoticeOf(delivery, receivedAt);
    const alert: AlertNotice = {
      ...notice,
      ...(plan.note ? { note: clip(plan.note, 500) } : {}),
      ...(plan.raiseSeverity ? { raiseSeverity: true } : {}),
    };
    try {
      return await withinTime(timeoutMs, () =>
        track(
          client.connection.withDeadline(Date.now() + timeoutMs, () =>
            delivery.status === 'resolved' ? resolve(input, plan, alert) : fire(input, plan, alert, receivedAt),
          ),
        ),
      );
    } catch (err) {
      if (err instanceof IntakeError) throw err;
      if (unavailable(err))
        throw new IntakeError(
          'TemporalUnavailable',
          `the Temporal server did not answer within ${timeoutMs} ms: retry later (retries are safe: deliveries of one alert group go to one incident)`,
        );
      throw err;
    }
  };
  return Object.assign(deliver, { drain: async () => void (await Promise.allSettled([...inFlight])) });
}

/** The plan of a delivery when no route lifecycle is given: the defaults, keyed by the sender's key. */
function defaultPlan(input: IncidentInput, delivery: Delivery): DeliveryPlan {
  const key = incidentKey(delivery);
  const lifecycle = lifecycleSchema.parse({});
  return { key, baseId: dedupedIncidentId(input, key), reopenWithinMs: lifecycle.reopenWithin, onRefire: onRefireFor(lifecycle, input.severity) };
}
