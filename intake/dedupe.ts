/**
 * Deliver a routed alert to Temporal: one incident per alert group.
 *
 * A firing delivery is a signal-with-start of `alert` on the id derived from the group's key
 * (`startIncident` with `dedupe`): the first starts the incident, every other one, however
 * concurrent, lands in that incident's timeline. A resolved delivery is only a signal: it
 * never starts an incident, and it never closes one either (the workflow just records it).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { CliError } from '../common/errors';
import { dedupedIncidentId, parseIncident, startIncident } from '../common/incidents';
import { alertSignal, type AlertNotice, type IncidentClass, type IncidentInputDraft } from '../workflows/contract';
import { IntakeError } from './errors';
import { clip, type Delivery } from './sources';

export interface DeliveryOutcome {
  incidentId: string;
  class: IncidentClass;
  outcome: 'started' | 'repeat' | 'resolved' | 'resolved-no-incident';
}

/** Deliver one alert with the incident input its route resolved to. Throws `IntakeError`s. */
export type DeliverAlert = (draft: IncidentInputDraft, delivery: Delivery, receivedAt: Date) => Promise<DeliveryOutcome>;

/** The deduplication key: the sender's group key, scoped by sender. */
export const incidentKey = (delivery: Delivery): string => `${delivery.source}:${delivery.key}`;

export function alertNoticeOf(delivery: Delivery, receivedAt: Date): AlertNotice {
  return { source: delivery.source, status: delivery.status, fingerprint: clip(delivery.key, 300), summary: delivery.summary, receivedAt: receivedAt.toISOString() };
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
    if (typeof e.code === 'number' && RETRYABLE_GRPC.has(e.code)) return true;
  }
  return false;
}

export interface TemporalDeliveryOptions {
  taskQueue: string;
  /** How long one delivery may wait for Temporal before answering 503 (PagerDuty gives up at 5 s). */
  timeoutMs?: number;
}

export function temporalDelivery(client: Client, o: TemporalDeliveryOptions): DeliverAlert {
  const seenRuns = new RecentSet(50_000);
  const timeoutMs = o.timeoutMs ?? 4_000;
  return async (draft, delivery, receivedAt) => {
    let input;
    try {
      input = parseIncident(draft);
    } catch (err) {
      if (err instanceof CliError) throw new IntakeError('InvalidIncident', err.message.replace(/\n\s*/g, ' '));
      throw err;
    }
    const key = incidentKey(delivery);
    const notice = alertNoticeOf(delivery, receivedAt);
    try {
      return await client.connection.withDeadline(Date.now() + timeoutMs, async (): Promise<DeliveryOutcome> => {
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
      });
    } catch (err) {
      if (err instanceof IntakeError) throw err;
      if (unavailable(err)) throw new IntakeError('TemporalUnavailable', `the Temporal server did not answer within ${timeoutMs} ms: retry later, nothing was started`);
      throw err;
    }
  };
}
