/** The pure parts of an alert's life and the incident's clock: route lifecycle defaults, firing windows, percentiles, the clock. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statsRows, percentiles } from '../../client/stats';
import { incidentClock } from '../../common/clock';
import { formatDuration, humanDuration } from '../../common/duration';
import type { IncidentProgress } from '../../contract';
import { FiringCounter, judgeFiring, lifecycleKeyOf, lifecycleSchema, onRefireFor, routeSchema, type Delivery } from '../../intake';

describe('route lifecycle', () => {
  it('has the defaults a 3 a.m. operator wants, and refuses a bad window with its path', () => {
    const l = lifecycleSchema.parse({});
    assert.deepEqual(l, { reopenWithin: 3_600_000, flapping: { count: 5, within: 600_000 } });
    assert.equal(onRefireFor(l, 'S1'), 'follow-up');
    assert.equal(onRefireFor(l, 'S2'), 'record');
    assert.equal(onRefireFor({ ...l, onRefire: 'follow-up' }, 'S3'), 'follow-up');
    const route = routeSchema.parse({ name: 'r', playbook: 'p', severity: 'S2' });
    assert.deepEqual(route.lifecycle, l);
    const bad = routeSchema.safeParse({ name: 'r', playbook: 'p', severity: 'S2', lifecycle: { reopenWithin: 'soon', group: 'annotations.x' } });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error!.issues.map((i) => i.path.join('.')).sort(), ['lifecycle.group', 'lifecycle.reopenWithin']);
  });

  it('keys a delivery by its correlation group when the alert has the label, else by the sender key', () => {
    const delivery: Delivery = { source: 'generic', status: 'firing', key: 'k1', summary: 's', alerts: [{ labels: { instance: 'agent-1' }, annotations: {} }] };
    const grouped = lifecycleSchema.parse({ group: 'labels.instance' });
    assert.deepEqual(lifecycleKeyOf(grouped, delivery.alerts[0]!, delivery), { key: 'group:instance=agent-1', group: 'instance=agent-1' });
    assert.deepEqual(lifecycleKeyOf(grouped, { labels: {}, annotations: {} }, delivery), { key: 'generic:k1' });
  });

  it('counts firings within each window: startAfter holds, flapping from the Nth', () => {
    const counter = new FiringCounter(600_000);
    const l = lifecycleSchema.parse({ startAfter: { count: 2, within: '1m' }, flapping: { count: 3, within: '10m' } });
    const t0 = Date.UTC(2026, 10, 30);
    assert.deepEqual(judgeFiring(counter, l, 'k', t0), { held: { count: 1, needed: 2, withinMs: 60_000 } });
    assert.deepEqual(judgeFiring(counter, l, 'k', t0 + 120_000), { held: { count: 1, needed: 2, withinMs: 60_000 } }, 'the first fell out of the minute');
    assert.deepEqual(judgeFiring(counter, l, 'k', t0 + 130_000), { flapping: { count: 3, withinMs: 600_000 } });
    assert.deepEqual(judgeFiring(counter, l, 'other', t0 + 130_000), { held: { count: 1, needed: 2, withinMs: 60_000 } });
  });

  it('reads durations people type', () => {
    assert.equal(humanDuration.parse('30d'), 30 * 86_400_000);
    assert.equal(humanDuration.parse('1.5h'), 5_400_000);
    assert.equal(humanDuration.safeParse('2 hours').success, false);
    assert.deepEqual(['1s', '0.3s', '4m 5s', '3h', '2d 1h'], [1000, 300, 245_000, 10_800_000, 176_400_000].map(formatDuration));
  });
});

const at = (s: number) => new Date(Date.UTC(2026, 10, 30, 3, 0, s)).toISOString();

/** Alert at 0 s, started at 1 s, contain done at 4 s, gate asked 4 s and approved 64 s, resolved 70 s. */
function progress(over: Partial<IncidentProgress> = {}): IncidentProgress {
  return {
    incidentId: 'inc-1',
    class: 'runaway-automation',
    severity: 'S2',
    title: 't',
    mode: 'live',
    targets: [],
    phase: 'closed',
    state: 'resolved',
    startedAt: at(1),
    endedAt: at(70),
    alertReceivedAt: at(0),
    steps: [
      { id: 'contain', action: 'runCommand', phase: 'contain', status: 'succeeded', attempts: 1, needsApproval: false, startedAt: at(2), endedAt: at(4) },
      { id: 'fix', action: 'runCommand', phase: 'recover', status: 'succeeded', attempts: 1, needsApproval: true, startedAt: at(64), endedAt: at(69) },
    ],
    pendingApprovals: [],
    controls: [],
    timeline: [
      { at: at(4), kind: 'approval-requested', step: 'fix', message: 'step "fix" waits for approval' },
      { at: at(30), kind: 'approved', step: 'fix', by: 'a', message: 'approved by a (1 more needed)' },
      { at: at(64), kind: 'approved', step: 'fix', by: 'b', message: 'approved by b' },
    ],
    ...over,
  };
}

describe('the incident clock', () => {
  it('measures from the alert: contain, acknowledge (the answer that settled the gate), resolve, people vs actions', () => {
    const c = incidentClock(progress());
    assert.deepEqual(
      { ...c, gates: c.gates.map((g) => [g.step, g.outcome, g.seconds]) },
      {
        receivedAt: at(0),
        containedAt: at(4),
        containStep: 'contain',
        timeToContainSec: 4,
        gates: [['fix', 'approved', 60]],
        timeToAcknowledgeSec: 60,
        resolvedAt: at(70),
        timeToResolveSec: 70,
        humanSec: 60,
        actionSec: 7,
      },
    );
  });

  it('has no time to resolve for a failed incident, and an open gate counts as waiting on people until now', () => {
    const open = progress({ state: 'awaiting-approval', endedAt: undefined });
    open.steps[1] = { ...open.steps[1]!, status: 'awaiting-approval', startedAt: undefined, endedAt: undefined };
    open.timeline = open.timeline.slice(0, 1);
    const c = incidentClock(open, at(100));
    assert.equal(c.timeToResolveSec, undefined);
    assert.equal(c.gates[0]!.answeredAt, undefined);
    assert.equal(c.humanSec, 96);
  });

  it('stats: nearest-rank percentiles per playbook, severity and class, drills apart', () => {
    assert.deepEqual(percentiles([5, 1, 3, 2, 4]), { count: 5, p50: 3, p90: 5, max: 5 });
    assert.equal(percentiles([]), undefined);
    const rows = statsRows([progress(), progress({ incidentId: 'inc-2', endedAt: at(90) }), progress({ incidentId: 'inc-3', mode: 'drill' })]);
    assert.deepEqual(
      rows.map((r) => [r.mode, r.incidents, r.timeToResolve?.max]),
      [
        ['drill', 1, 70],
        ['live', 2, 90],
      ],
    );
  });
});
