/**
 * The incident's clock, from its own record (the `progress` the workflow rebuilds from its
 * history): alert received → first containment step done (time to contain) → each approval
 * asked and answered (time to acknowledge, per gate) → resolved (time to resolve), and how
 * much of that was spent waiting on people versus running actions. `status`, the note, the
 * intake's histograms and `tourniquet stats` all read these same figures.
 */
import type { IncidentProgress, TimelineEvent } from '../contract';

export interface GateClock {
  step: string;
  askedAt: string;
  /** When the gate was settled: the approval that met the quorum, a denial, or the timeout. */
  answeredAt?: string;
  outcome?: 'approved' | 'denied' | 'timed-out';
  seconds?: number;
}

export interface IncidentClock {
  /** When the intake received the alert (or, without one, when the incident started). */
  receivedAt: string;
  /** The first step in the freeze or contain phase that succeeded. */
  containedAt?: string;
  containStep?: string;
  timeToContainSec?: number;
  gates: GateClock[];
  /** The first gate's wait, from asked to answered. */
  timeToAcknowledgeSec?: number;
  resolvedAt?: string;
  timeToResolveSec?: number;
  /** Waiting on people: approval gates, operators asked after a failure, pauses. */
  humanSec: number;
  /** Steps running (each step's start to end). */
  actionSec: number;
}

const sec = (from: string, to: string) => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);

/** Total time between each opening event and the closing one after it (still open: until `end`). */
function spans(timeline: TimelineEvent[], open: TimelineEvent['kind'], close: TimelineEvent['kind'][], end: string): number {
  let total = 0;
  let since: TimelineEvent | undefined;
  for (const e of timeline) {
    if (e.kind === open && !since) since = e;
    else if (since && close.includes(e.kind)) {
      total += sec(since.at, e.at);
      since = undefined;
    }
  }
  return since ? total + sec(since.at, end) : total;
}

export function incidentClock(p: IncidentProgress, now = new Date().toISOString()): IncidentClock {
  const receivedAt = p.alertReceivedAt && p.alertReceivedAt < p.startedAt ? p.alertReceivedAt : p.startedAt;
  const contained = p.steps
    .filter((s) => (s.phase === 'freeze' || s.phase === 'contain') && s.status === 'succeeded' && s.endedAt)
    .sort((a, b) => a.endedAt!.localeCompare(b.endedAt!))[0];
  const gates: GateClock[] = [];
  for (const asked of p.timeline.filter((e) => e.kind === 'approval-requested' && e.step)) {
    const step = p.steps.find((s) => s.id === asked.step);
    const settled = p.timeline.find(
      (e) =>
        e.step === asked.step &&
        e.at >= asked.at &&
        (e.kind === 'denied' || e.kind === 'approval-timed-out' || (e.kind === 'approved' && !/more needed\)$/.test(e.message))),
    );
    const gate: GateClock = { step: asked.step!, askedAt: asked.at };
    if (settled && step?.status !== 'awaiting-approval') {
      gate.answeredAt = settled.at;
      gate.outcome = settled.kind === 'approved' ? 'approved' : settled.kind === 'denied' ? 'denied' : 'timed-out';
      gate.seconds = sec(asked.at, settled.at);
    }
    gates.push(gate);
  }
  const end = p.endedAt ?? now;
  const human =
    gates.reduce((t, g) => t + (g.seconds ?? sec(g.askedAt, end)), 0) +
    spans(p.timeline, 'operator-asked', ['operator-answered', 'incident-finished'], end) +
    spans(p.timeline, 'paused', ['resumed', 'incident-finished'], end);
  const action = p.steps.reduce((t, s) => t + (s.startedAt ? sec(s.startedAt, s.endedAt ?? end) : 0), 0);
  const clock: IncidentClock = { receivedAt, gates, humanSec: human, actionSec: action };
  if (contained) {
    clock.containedAt = contained.endedAt!;
    clock.containStep = contained.id;
    clock.timeToContainSec = sec(receivedAt, contained.endedAt!);
  }
  if (gates[0]?.seconds !== undefined) clock.timeToAcknowledgeSec = gates[0].seconds;
  if (p.state === 'resolved' && p.endedAt) {
    clock.resolvedAt = p.endedAt;
    clock.timeToResolveSec = sec(receivedAt, p.endedAt);
  }
  return clock;
}

const fmt = (s: number | undefined) =>
  s === undefined ? '—' : s < 60 ? `${s.toFixed(1)}s` : s < 3600 ? `${(s / 60).toFixed(1)}m` : `${(s / 3600).toFixed(1)}h`;

/** The clock in a few lines, for `status` and the note. */
export function clockLines(c: IncidentClock): string[] {
  return [
    `alert received ${c.receivedAt}`,
    `time to contain: ${fmt(c.timeToContainSec)}${c.containStep ? ` (${c.containStep} done ${c.containedAt})` : ''}`,
    ...c.gates.map(
      (g) => `time to acknowledge ${g.step}: ${fmt(g.seconds)}${g.outcome ? ` (${g.outcome} ${g.answeredAt})` : ` (asked ${g.askedAt}, not answered)`}`,
    ),
    `time to resolve: ${fmt(c.timeToResolveSec)}${c.resolvedAt ? ` (resolved ${c.resolvedAt})` : ''}`,
    `waiting on people ${fmt(c.humanSec)}, on actions ${fmt(c.actionSec)}`,
  ];
}
