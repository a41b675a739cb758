/**
 * Prometheus metrics of the intake, served on `GET /metrics`. One registry per intake (not
 * prom-client's global one), so several intakes in one process (tests) do not collide.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What happened to a delivery; the `outcome` label of `tourniquet_intake_deliveries_total`. */
export type Outcome =
  | 'started' // a new incident run
  | 'repeat' // delivered to the incident already running for its key
  | 'refired' // its key's incident ended within the reopen window: a follow-up, or only a record
  | 'held' // startAfter holds it: too few firings yet, and no incident runs for the key
  | 'silenced' // a silence matched: answered, recorded, nothing started
  | 'resolved' // a resolution delivered to its running incident
  | 'resolved-no-incident' // a resolution with no running incident: nothing to do
  | 'unmatched' // no route matched: logged and answered
  | 'ignored' // a valid payload that is not an alert (PagerDuty acknowledgement, ping)
  | 'unauthorized'
  | 'bad-request' // malformed JSON, wrong shape, wrong content type
  | 'too-large'
  | 'unknown-source'
  | 'invalid-parameter'
  | 'invalid-incident'
  | 'temporal-unavailable'
  | 'error';

export interface IntakeMetrics {
  registry: Registry;
  deliveries: Counter<'source' | 'outcome'>;
  incidentsStarted: Counter<'source' | 'class'>;
  latency: Histogram<'source' | 'outcome'>;
}

export function createMetrics(): IntakeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tourniquet_intake_' });
  return {
    registry,
    deliveries: new Counter({
      name: 'tourniquet_intake_deliveries_total',
      help: 'Alert deliveries received, by sender and outcome.',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    }),
    incidentsStarted: new Counter({
      name: 'tourniquet_intake_incidents_started_total',
      help: 'Incident runs started by deliveries (a run id this intake had not signaled before).',
      labelNames: ['source', 'class'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'tourniquet_intake_delivery_duration_seconds',
      help: 'Time from receiving a delivery to answering it (auth, routing, start or signal).',
      labelNames: ['source', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}
