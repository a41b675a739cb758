/**
 * Deliver a routed alert to Temporal: one incident per alert group.
 *
 * A firing delivery is a signal-with-start of `alert` on the id derived from the group's key
 * (`startIncident` with `dedupe`): the first starts the incident, every other one, however
 * concurrent, lands in that incident's timeline. A resolved delivery is only a signal: it
 * never starts an incident, and it never closes one either (the workflow just records it).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { dedupedIncidentId, startIncident } from '../client/incidents';
import { alertSignal, type AlertNotice, type IncidentClass, type IncidentInput } from '../contract';
import { IntakeError } from './errors';
import { clip, type Delivery } from './sources';

export interface DeliveryOutcome {
  incidentId: string;
  class: IncidentClass;
  outcome: 'started' | 'repeat' | 'resolved' | 'resolved-no-incident';
}

/** Deliver one alert with the incident input its route resolved to. Throws `IntakeError`s. */
export type DeliverAlert = (input: IncidentInput, delivery: Delivery, receivedAt: Date) => Promise<DeliveryOutcome>;

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
  const timeoutMs = o.timeoutMs ?? 3_000;
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(call: Promise<T>): Promise<T> => {
    inFlight.add(call);
    void call.catch(() => undefined).finally(() => inFlight.delete(call));
    return call;
  };
  const deliver = async (input: IncidentInput, delivery: Delivery, receivedAt: Date): Promise<DeliveryOutcome> => {
    const key = incidentKey(delivery);
    const notice = alertNoticeOf(delivery, receivedAt);
    try {
      return await withinTime(timeoutMs, () =>
        track(
          client.connection.withDeadline(Date.now() + timeoutMs, async (): Promise<DeliveryOutcome> => {
            if (delivery.status === 'resolved') {
              const incidentId = dedupedIncidentId(input, key);
              try {
                await client.workflow.getHandle(incidentId).signal(alertSignal, notice);
                return { incidentId, class: input.class, outcome: 'resolved' };
              } catch (err) {
                // Never started, or already finished: a resolution starts nothing.
                if (err instanceof WorkflowNotFoundError) return { incidentId, class: input.class, outcome: 'resolved-no-incident' };
                throw err;
              }
            }
            const { id, runId } = await startIncident(client, input, { taskQueue: o.taskQueue, dedupe: { key, alert: notice } });
            return { incidentId: id, class: input.class, outcome: runId !== undefined && seenRuns.add(runId) ? 'started' : 'repeat' };
          }),
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
