/**
 * `tourniquet stats`: the clock of every incident that ended in a period, as percentiles per
 * playbook, severity and class, with drills in rows of their own (a drill's timings say how
 * fast the plan runs, not how fast people answer). Each incident's clock is read from its own
 * record (common/clock.ts), the same figures as `status`, the note and the intake's histograms.
 */
import type { Client } from '@temporalio/client';
import { incidentClock, type IncidentClock } from '../common/clock';
import { WORKFLOW_TYPE, type IncidentProgress } from '../contract';
import { getProgress } from './incidents';

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  max: number;
}

export interface StatsRow {
  mode: 'live' | 'drill';
  playbook: string;
  severity: string;
  class: string;
  incidents: number;
  /** How they ended: resolved, failed, aborted, cancelled. */
  ended: Record<string, number>;
  timeToContain?: Percentiles;
  timeToAcknowledge?: Percentiles;
  timeToResolve?: Percentiles;
  /** Seconds waiting on people and on actions, summed over the row's incidents. */
  humanSec: number;
  actionSec: number;
}

export interface Stats {
  since: string;
  until: string;
  incidents: number;
  /** Ended incidents whose record could not be read (no worker answered the query). */
  unreadable: string[];
  rows: StatsRow[];
}

/** Nearest-rank percentiles of a list of seconds; undefined for none. */
export function percentiles(values: number[]): Percentiles | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { count: sorted.length, p50: rank(0.5), p90: rank(0.9), max: sorted.at(-1)! };
}

/** Rows from incidents' records: pure, so the figures can be checked against each incident. */
export function statsRows(incidents: IncidentProgress[]): StatsRow[] {
  const groups = new Map<string, { p: IncidentProgress; clock: IncidentClock }[]>();
  for (const p of incidents) {
    const key = [p.mode, p.playbook ?? '-', p.severity, p.class].join('\u0000');
    groups.set(key, [...(groups.get(key) ?? []), { p, clock: incidentClock(p) }]);
  }
  const rows = [...groups.values()].map((list): StatsRow => {
    const first = list[0]!.p;
    const ended: Record<string, number> = {};
    for (const { p } of list) ended[p.state] = (ended[p.state] ?? 0) + 1;
    const pick = (f: (c: IncidentClock) => (number | undefined)[]) =>
      percentiles(list.flatMap(({ clock }) => f(clock)).filter((v): v is number => v !== undefined));
    const contain = pick((c) => [c.timeToContainSec]);
    const acknowledge = pick((c) => c.gates.map((g) => g.seconds));
    const resolve = pick((c) => [c.timeToResolveSec]);
    return {
      mode: first.mode,
      playbook: first.playbook ?? '-',
      severity: first.severity,
      class: first.class,
      incidents: list.length,
      ended,
      ...(contain ? { timeToContain: contain } : {}),
      ...(acknowledge ? { timeToAcknowledge: acknowledge } : {}),
      ...(resolve ? { timeToResolve: resolve } : {}),
      humanSec: list.reduce((t, { clock }) => t + clock.humanSec, 0),
      actionSec: list.reduce((t, { clock }) => t + clock.actionSec, 0),
    };
  });
  const order = (r: StatsRow) => [r.mode, r.playbook, r.severity, r.class].join(' ');
  return rows.sort((a, b) => order(a).localeCompare(order(b)));
}

/** Every incident that ended since `since`, read and summed up. */
export async function incidentStats(client: Client, since: Date, now = new Date()): Promise<Stats> {
  const query = `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus != 'Running' AND CloseTime >= '${since.toISOString()}'`;
  const read: IncidentProgress[] = [];
  const unreadable: string[] = [];
  for await (const wf of client.workflow.list({ query })) {
    try {
      read.push(await getProgress(client, wf.workflowId));
    } catch {
      unreadable.push(wf.workflowId);
    }
  }
  return { since: since.toISOString(), until: now.toISOString(), incidents: read.length, unreadable, rows: statsRows(read) };
}
