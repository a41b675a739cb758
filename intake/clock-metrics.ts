/**
 * The incident's clock as Prometheus histograms on the intake's `/metrics`, per playbook and
 * severity: `tourniquet_time_to_contain_seconds`, `tourniquet_time_to_acknowledge_seconds` (one
 * observation per approval gate) and `tourniquet_time_to_resolve_seconds`.
 *
 * Observed once per incident, when it has ended and a scrape comes: the scrape lists incidents
 * closed since the last one and reads each one's clock from its own record (common/clock.ts),
 * so the figures are exactly the ones `status`, the note and `stats` show. Incidents that ended
 * before this intake started are not counted again (a restart would count them twice); drills
 * are not counted at all (`tourniquet stats` shows them apart).
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { Histogram, type Registry } from 'prom-client';
import { getProgress } from '../client/incidents';
import { incidentClock } from '../common/clock';
import { WORKFLOW_TYPE, type IncidentProgress } from '../contract';

const LABELS = ['playbook', 'severity'] as const;

/** Visibility can lag a close by a moment: look back this far past the last close seen. */
const LOOK_BACK_MS = 5 * 60_000;
/** How long a scrape waits for the ended incidents to be read before answering without them. */
const SCRAPE_WAIT_MS = 5_000;
/** Incidents read per scrape at most: a backlog is worked off over the next scrapes. */
const PER_SCRAPE = 200;

export interface ClockHistograms {
  contain: Histogram<(typeof LABELS)[number]>;
  acknowledge: Histogram<(typeof LABELS)[number]>;
  resolve: Histogram<(typeof LABELS)[number]>;
}

/** The playbook label: the playbook's name, or `class:<class>` for an incident from a template. */
export const playbookLabel = (p: Pick<IncidentProgress, 'playbook' | 'class'>): string => p.playbook ?? `class:${p.class}`;

export function observeClock(h: ClockHistograms, p: IncidentProgress): void {
  const labels = { playbook: playbookLabel(p), severity: p.severity };
  const clock = incidentClock(p);
  if (clock.timeToContainSec !== undefined) h.contain.observe(labels, clock.timeToContainSec);
  for (const gate of clock.gates) if (gate.seconds !== undefined) h.acknowledge.observe(labels, gate.seconds);
  if (clock.timeToResolveSec !== undefined) h.resolve.observe(labels, clock.timeToResolveSec);
}

export function registerClockMetrics(registry: Registry, client: Client, logger: Logger, startedAt = new Date()): ClockHistograms {
  let watermark = startedAt.getTime();
  /** Incidents observed, with their close time: forgotten once the look-back has passed them. */
  const seen = new Map<string, number>();
  let running: Promise<void> | undefined;

  const collect = async (): Promise<void> => {
    const since = new Date(Math.max(startedAt.getTime(), watermark - LOOK_BACK_MS)).toISOString();
    const query = `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus != 'Running' AND CloseTime >= '${since}'`;
    let read = 0;
    for await (const wf of client.workflow.list({ query })) {
      const key = `${wf.workflowId}/${wf.runId}`;
      if (seen.has(key) || !wf.closeTime) continue;
      if (read++ >= PER_SCRAPE) break;
      try {
        const progress = await getProgress(client, wf.workflowId);
        if (progress.mode !== 'drill') observeClock(histograms, progress);
        seen.set(key, wf.closeTime.getTime());
        watermark = Math.max(watermark, wf.closeTime.getTime());
      } catch (err) {
        // No worker to answer the query right now: the next scrape tries again.
        logger.warn({ incidentId: wf.workflowId, err: (err as Error).message }, 'cannot read the clock of an ended incident');
      }
    }
    for (const [key, closed] of seen) if (closed < watermark - 2 * LOOK_BACK_MS) seen.delete(key);
  };

  const histograms: ClockHistograms = {
    contain: new Histogram({
      name: 'tourniquet_time_to_contain_seconds',
      help: 'From the alert received to the first freeze or contain step done, per ended incident.',
      labelNames: LABELS,
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
      registers: [registry],
      // One scrape at a time reads the incidents that ended; the three histograms share it. A
      // scrape waits for it a little only: with Temporal down it answers with what it has.
      async collect() {
        running ??= collect()
          .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'cannot list ended incidents for the clock metrics'))
          .finally(() => (running = undefined));
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([running, new Promise((r) => (timer = setTimeout(r, SCRAPE_WAIT_MS)))]);
        clearTimeout(timer);
      },
    }),
    acknowledge: new Histogram({
      name: 'tourniquet_time_to_acknowledge_seconds',
      help: 'From an approval asked to the answer that settled it, per approval gate of ended incidents.',
      labelNames: LABELS,
      buckets: [10, 30, 60, 300, 600, 1800, 3600, 7200, 14400, 43200],
      registers: [registry],
    }),
    resolve: new Histogram({
      name: 'tourniquet_time_to_resolve_seconds',
      help: 'From the alert received to the incident resolved, per resolved incident.',
      labelNames: LABELS,
      buckets: [60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400, 259200],
      registers: [registry],
    }),
  };
  return histograms;
}
