/**
 * The incident's clock against a real Temporal dev server, worker and intake: the intake's
 * histograms hold exactly the figures each incident's own timeline gives, drills stay out of
 * them, `status` and the note show the same clock, and `tourniquet stats` sums a set of ended
 * incidents per playbook, severity and class with drills apart.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { approve, parseIncident, startIncident } from '../../client/incidents';
import { incidentReport } from '../../client/report';
import { incidentClock } from '../../common/clock';
import type { IncidentProgress } from '../../contract';
import type { Stats } from '../../client/stats';
import { startIntakeStack, type IntakeStack } from '../helpers/intake';
import { waitFor } from '../helpers/temporal';

const root = new URL('../../', import.meta.url).pathname;
let stack: IntakeStack;

const steps = `  - { id: contain, action: runCommand, phase: contain, args: { argv: ["true"] } }
  - { id: hold, action: runCommand, approval: { required: true }, args: { argv: ["true"] } }
`;

before(async () => {
  stack = await startIntakeStack('clock', {
    templates: { 'gated.yaml': `class: runaway-automation\nseverity: S2\ntitle: from the alert\nsteps:\n${steps}` },
    routes: `routes:\n  - { name: loop, match: { labels.alertname: Loop }, playbook: gated, severity: S2 }\n`,
  });
});

after(() => stack?.stop());

const until = (id: string, what: string, check: (p: IncidentProgress) => boolean) => stack.until(id, what, check);

async function alertAndApprove(approver: string): Promise<IncidentProgress> {
  const { answer } = await stack.postGeneric<{ incidentId: string }>({ dedupKey: `loop-${randomUUID()}`, summary: 'tool loop', labels: { alertname: 'Loop' } });
  const { incidentId } = answer;
  await until(incidentId, 'the gate', (p) => p.state === 'awaiting-approval');
  await approve(stack.env.client, incidentId, { step: 'hold', by: approver });
  return until(incidentId, 'the end', (p) => p.state === 'resolved');
}

/** `name{playbook="…",severity="…"} value` lines of the intake's metrics, by name. */
async function scrape(): Promise<Map<string, number>> {
  const text = await (await fetch(`${stack.intake.url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(tourniquet_time_to_\w+?_(?:sum|count))\{playbook="class:runaway-automation",severity="S2"\} (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

const sum = (values: (number | undefined)[]) => values.reduce<number>((t, v) => t + (v ?? 0), 0);

describe('the incident clock', () => {
  const live: IncidentProgress[] = [];
  let drill: IncidentProgress;

  it('the intake histograms match the timelines of the ended incidents, and leave drills out', async () => {
    const input = parseIncident({
      class: 'runaway-automation',
      severity: 'S2',
      title: 'drill',
      mode: 'drill',
      steps: [{ id: 'contain', action: 'runCommand', phase: 'contain', args: { argv: ['true'] } }],
    });
    const started = await startIncident(stack.env.client, input, { taskQueue: stack.taskQueue });
    drill = await until(started.id, 'the drill to end', (p) => p.state === 'resolved');
    live.push(await alertAndApprove('alice'), await alertAndApprove('bob'));

    const clocks = live.map((p) => incidentClock(p));
    for (const c of clocks) {
      assert.ok(c.timeToContainSec! > 0 && c.timeToContainSec! <= c.timeToResolveSec!, JSON.stringify(c));
      assert.equal(c.gates.length, 1);
      assert.equal(c.gates[0]!.outcome, 'approved');
    }
    const metrics = await waitFor('both incidents in the histograms', async () => {
      const m = await scrape();
      return m.get('tourniquet_time_to_resolve_seconds_count') === 2 ? m : undefined;
    });
    assert.equal(metrics.get('tourniquet_time_to_contain_seconds_count'), 2, 'the drill is not counted');
    assert.equal(metrics.get('tourniquet_time_to_acknowledge_seconds_count'), 2);
    const close = (name: string, expected: number) => assert.ok(Math.abs(metrics.get(name)! - expected) < 1e-6, `${name}: ${metrics.get(name)} vs ${expected}`);
    close('tourniquet_time_to_contain_seconds_sum', sum(clocks.map((c) => c.timeToContainSec)));
    close('tourniquet_time_to_acknowledge_seconds_sum', sum(clocks.map((c) => c.gates[0]!.seconds)));
    close('tourniquet_time_to_resolve_seconds_sum', sum(clocks.map((c) => c.timeToResolveSec)));

    // Scraping again counts nobody twice.
    assert.equal((await scrape()).get('tourniquet_time_to_resolve_seconds_count'), 2);
  });

  it('the note and status show the same clock', async () => {
    const p = live[0]!;
    const clock = incidentClock(p);
    const { markdown } = await incidentReport(stack.env.client, p.incidentId);
    assert.match(markdown, /## Clock/);
    assert.ok(markdown.includes(`- alert received ${clock.receivedAt}`), markdown);
    assert.ok(markdown.includes(`(contain done ${clock.containedAt})`));
    assert.ok(markdown.includes(`time to acknowledge hold: `) && markdown.includes(`(approved ${clock.gates[0]!.answeredAt})`));
    const status = await execa(process.execPath, [join(root, 'bin/tourniquet.js'), 'status', p.incidentId], {
      cwd: root,
      reject: false,
      env: { TEMPORAL_ADDRESS: stack.env.address, LOG_LEVEL: 'silent' },
    });
    assert.equal(status.exitCode, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`clock:\\n  alert received ${clock.receivedAt}`));
    assert.match(status.stdout, new RegExp(`time to resolve: .* \\(resolved ${p.endedAt}\\)`));
  });

  it('stats gives percentiles per playbook, severity and class, with the drill apart', async () => {
    const res = await execa(process.execPath, [join(root, 'bin/tourniquet.js'), 'stats', '--since', '1h', '--json'], {
      cwd: root,
      reject: false,
      env: { TEMPORAL_ADDRESS: stack.env.address, LOG_LEVEL: 'silent' },
    });
    assert.equal(res.exitCode, 0, res.stderr);
    const stats = JSON.parse(res.stdout) as Stats;
    assert.equal(stats.incidents, 3);
    assert.deepEqual(
      stats.rows.map((r) => [r.mode, r.playbook, r.severity, r.class, r.incidents]),
      [
        ['drill', '-', 'S2', 'runaway-automation', 1],
        ['live', '-', 'S2', 'runaway-automation', 2],
      ],
    );
    const row = stats.rows[1]!;
    const resolve = live.map((p) => incidentClock(p).timeToResolveSec!).sort((a, b) => a - b);
    assert.deepEqual(row.timeToResolve, { count: 2, p50: resolve[0], p90: resolve[1], max: resolve[1] });
    assert.deepEqual(row.ended, { resolved: 2 });
    assert.equal(stats.rows[0]!.timeToAcknowledge, undefined, 'a drill waits for nobody');
    assert.equal(drill.mode, 'drill');
  });
});
