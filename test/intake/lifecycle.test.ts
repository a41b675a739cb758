/**
 * An alert's whole life over HTTP, against a real Temporal dev server and worker: the reopen
 * window both ways, follow-ups linked to their predecessor, flapping that raises the severity
 * once, `startAfter`, two alert names correlated into one incident, and silences that survive
 * an intake restart and run out on their own.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import type { IncidentProgress } from '../../contract';
import { startIntakeStack, type IntakeStack } from '../helpers/intake';
import { waitFor } from '../helpers/temporal';

const BIN = new URL('../../bin/tourniquet.js', import.meta.url).pathname;
let stack: IntakeStack;

/** Contains with a trivial command and ends at once. */
const quick = `class: runaway-automation
severity: S2
title: from the alert
steps:
  - { id: contain, action: runCommand, phase: contain, args: { argv: ["true"] } }
`;
/** Contains, then holds at an approval gate: stays open. */
const gated = `class: runaway-automation
severity: S3
title: from the alert
steps:
  - { id: contain, action: runCommand, phase: contain, args: { argv: ["true"] } }
  - { id: hold, action: runCommand, approval: { required: true }, args: { argv: ["true"] } }
`;

const routes = `routes:
  - { name: s1-refire, match: { labels.alertname: QuickS1 }, playbook: quick, severity: S1 }
  - { name: s2-refire, match: { labels.alertname: QuickS2 }, playbook: quick, severity: S2 }
  - { name: short-window, match: { labels.alertname: Short }, playbook: quick, severity: S1, lifecycle: { reopenWithin: 1s } }
  - { name: flap, match: { labels.alertname: Flap }, playbook: gated, severity: S3, lifecycle: { flapping: { count: 3, within: 10m } } }
  - { name: noisy, match: { labels.alertname: Noisy }, playbook: gated, severity: S3, lifecycle: { startAfter: { count: 3, within: 10m } } }
  - { name: agent-keys, match: { labels.alertname: KeyInLogs }, playbook: gated, severity: S2, lifecycle: { group: labels.instance } }
  - { name: agent-loop, match: { labels.alertname: ToolLoop }, playbook: gated, severity: S2, lifecycle: { group: labels.instance } }
  - { name: quiet, match: { labels.alertname: Quiet }, playbook: gated, severity: S3 }
`;

before(async () => {
  stack = await startIntakeStack('lifecycle', { templates: { 'quick.yaml': quick, 'gated.yaml': gated }, routes });
});

after(() => stack?.stop());

interface Answer {
  matched: boolean;
  incidentId?: string;
  outcome?: string;
  follows?: string;
  group?: string;
  silence?: string;
  flapping?: boolean;
  firings?: number;
}

async function post(body: object): Promise<Answer> {
  const { status, answer } = await stack.postGeneric<Answer>(body);
  assert.equal(status, 202, JSON.stringify(answer));
  return answer;
}

const fire = (alertname: string, key: string, labels: Record<string, string> = {}) =>
  post({ dedupKey: key, summary: `${alertname} on ${key}`, labels: { alertname, ...labels } });

const until = (id: string, what: string, check: (p: IncidentProgress) => boolean) => stack.until(id, what, check);

const ended = (id: string) => until(id, `${id} to end`, (p) => p.state === 'resolved');
const alerts = (p: IncidentProgress) => p.timeline.filter((e) => e.kind === 'alert');

async function memoOf(id: string): Promise<Record<string, unknown> | undefined> {
  return (await stack.env.client.workflow.getHandle(id).describe()).memo;
}

async function deliveries(outcome: string): Promise<number> {
  const text = await (await fetch(`${stack.intake.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`tourniquet_intake_deliveries_total{source="generic",outcome="${outcome}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('the reopen window', () => {
  it('an S1 that re-fires within the window starts a follow-up linked to the ended incident', async () => {
    const key = `s1-${randomUUID()}`;
    const first = await fire('QuickS1', key);
    assert.equal(first.outcome, 'started');
    await ended(first.incidentId!);

    const again = await fire('QuickS1', key);
    assert.equal(again.outcome, 'refired');
    assert.equal(again.follows, first.incidentId);
    assert.equal(again.incidentId, `${first.incidentId}-2`);
    const followUp = await until(again.incidentId!, 'the follow-up', (p) => alerts(p).length === 1);
    assert.equal(followUp.follows, first.incidentId);
    assert.match(alerts(followUp)[0]!.message, new RegExp(`re-fired .* after ${first.incidentId} ended: a follow-up of it`));
    assert.equal((await memoOf(again.incidentId!))?.follows, first.incidentId, 'the follow-up names the incident it follows in its memo');

    // A repeat while the follow-up runs (or after it ended, still within the window) never goes back to the first.
    const third = await fire('QuickS1', key);
    assert.ok(third.incidentId!.startsWith(`${first.incidentId}-`), JSON.stringify(third));
    assert.notEqual(third.incidentId, first.incidentId);
  });

  it('an S2 that re-fires within the window is recorded on the ended incident and starts nothing', async () => {
    const key = `s2-${randomUUID()}`;
    const first = await fire('QuickS2', key);
    assert.equal(first.outcome, 'started');
    await ended(first.incidentId!);
    const before = await deliveries('refired');

    const again = await fire('QuickS2', key);
    assert.deepEqual(
      { outcome: again.outcome, incidentId: again.incidentId, follows: again.follows },
      { outcome: 'refired', incidentId: first.incidentId, follows: undefined },
    );
    await assert.rejects(stack.env.client.workflow.getHandle(`${first.incidentId}-2`).describe(), /not found/i);
    const recorded = readFileSync(join(stack.stateDir, 'refires.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { incidentId: string; summary: string });
    assert.ok(recorded.some((r) => r.incidentId === first.incidentId && r.summary === `QuickS2 on ${key}`));
    assert.equal(await deliveries('refired'), before + 1);
  });

  it('a key whose incident ended longer ago than the window starts a new incident linked to it', async () => {
    const key = `short-${randomUUID()}`;
    const first = await fire('Short', key);
    const done = await ended(first.incidentId!);
    // Wait out the one-second window on the server's clock before firing again.
    await waitFor('the reopen window to pass', async () => (Date.now() - Date.parse(done.endedAt!) > 1500 ? true : undefined));

    const again = await fire('Short', key);
    assert.equal(again.outcome, 'started');
    assert.equal(again.follows, first.incidentId);
    const next = await until(again.incidentId!, 'the new incident', (p) => alerts(p).length === 1);
    assert.equal(next.follows, first.incidentId);
    assert.match(alerts(next)[0]!.message, /fired again .* \(reopen window 1s\): a new incident linked to it/);
  });
});

describe('flapping and startAfter', () => {
  it('the third firing within the window raises the severity one level, once, and says so', async () => {
    const key = `flap-${randomUUID()}`;
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await fire('Flap', key));
    assert.deepEqual(
      answers.map((a) => [a.outcome, a.flapping ?? false]),
      [
        ['started', false],
        ['repeat', false],
        ['repeat', true],
        ['repeat', true],
        ['repeat', true],
      ],
    );
    const id = answers[0]!.incidentId!;
    const p = await until(id, 'five alerts', (x) => alerts(x).length === 5);
    assert.equal(p.severity, 'S2');
    assert.deepEqual({ from: p.severityRaised?.from, to: p.severityRaised?.to }, { from: 'S3', to: 'S2' });
    const raised = p.timeline.filter((e) => e.kind === 'severity-raised');
    assert.equal(raised.length, 1, 'raised once');
    assert.match(raised[0]!.message, /severity raised S3 → S2: flapping: 3 firings within 10m/);
  });

  it('startAfter holds the first firings and starts the incident on the third', async () => {
    const key = `noisy-${randomUUID()}`;
    const before = await deliveries('held');
    const one = await fire('Noisy', key);
    const two = await fire('Noisy', key);
    assert.deepEqual([one.outcome, one.firings, two.outcome, two.firings], ['held', 1, 'held', 2]);
    await assert.rejects(stack.env.client.workflow.getHandle(one.incidentId!).describe(), /not found/i);
    assert.equal(await deliveries('held'), before + 2);

    const three = await fire('Noisy', key);
    assert.equal(three.outcome, 'started');
    assert.equal(three.incidentId, one.incidentId);
    const p = await until(three.incidentId!, 'the first alert', (x) => alerts(x).length === 1);
    assert.match(alerts(p)[0]!.message, /started after 3 firings within 10m/);
  });
});

describe('correlation', () => {
  it('two different alerts about one instance join one open incident', async () => {
    const instance = `agent-${randomUUID().slice(0, 8)}`;
    const key = await fire('KeyInLogs', `keys-${randomUUID()}`, { instance });
    assert.equal(key.outcome, 'started');
    assert.equal(key.group, `instance=${instance}`);
    const loop = await fire('ToolLoop', `loop-${randomUUID()}`, { instance });
    assert.deepEqual([loop.outcome, loop.incidentId, loop.group], ['repeat', key.incidentId, `instance=${instance}`]);

    const p = await until(key.incidentId!, 'both alerts', (x) => alerts(x).length === 2);
    assert.match(alerts(p)[0]!.message, /: KeyInLogs on keys-/);
    assert.match(alerts(p)[1]!.message, /: ToolLoop on loop-/);
    assert.ok(alerts(p).every((e) => e.message.endsWith(`[correlated by instance=${instance}]`)));

    const other = await fire('ToolLoop', `loop-${randomUUID()}`, { instance: `${instance}-b` });
    assert.equal(other.outcome, 'started');
    assert.notEqual(other.incidentId, key.incidentId);
  });
});

describe('silences', () => {
  const cli = (args: string[]) => execa(process.execPath, [BIN, ...args], { env: { ...process.env, TOURNIQUET_INTAKE_STATE: stack.stateDir }, reject: false });

  it('a silence answers matching deliveries, survives an intake restart, and expires on its own', async () => {
    const instance = `quiet-${randomUUID().slice(0, 8)}`;
    const added = await cli(['silence', 'add', '--match', `instance=${instance}`, '--for', '6s', '--reason', 'maintenance', '--by', 'alice', '--json']);
    assert.equal(added.exitCode, 0, added.stderr);
    const silence = JSON.parse(added.stdout) as { id: string; endsAt: string };

    const key = `quiet-${randomUUID()}`;
    const first = await fire('Quiet', key, { instance });
    assert.deepEqual(first, { matched: true, route: 'quiet', outcome: 'silenced', silence: silence.id });

    await stack.restart();
    const second = await fire('Quiet', key, { instance });
    assert.equal(second.outcome, 'silenced', 'still silenced after the restart');
    assert.equal(await deliveries('silenced'), 1, 'counted by the new intake');

    const listed = await cli(['silence', 'list', '--json']);
    assert.equal(listed.exitCode, 0, listed.stderr);
    const rows = JSON.parse(listed.stdout) as { id: string; hits: number; state: string }[];
    assert.deepEqual(
      rows.filter((r) => r.id === silence.id).map((r) => [r.state, r.hits]),
      [['active', 2]],
    );

    await waitFor('the silence to run out', async () => (Date.now() > Date.parse(silence.endsAt) ? true : undefined));
    const third = await fire('Quiet', key, { instance });
    assert.equal(third.outcome, 'started');
  });

  it('an expired silence lets deliveries through at once', async () => {
    const instance = `quiet-${randomUUID().slice(0, 8)}`;
    const added = JSON.parse((await cli(['silence', 'add', '--match', `instance=${instance}`, '--for', '2h', '--reason', 'noise', '--json'])).stdout) as {
      id: string;
    };
    assert.equal((await fire('Quiet', `q-${randomUUID()}`, { instance })).outcome, 'silenced');
    const expired = await cli(['silence', 'expire', added.id]);
    assert.equal(expired.exitCode, 0, expired.stderr);
    assert.equal((await fire('Quiet', `q-${randomUUID()}`, { instance })).outcome, 'started');
    const again = await cli(['silence', 'expire', added.id]);
    assert.notEqual(again.exitCode, 0);
    assert.match(again.stderr, /has already ended/);
  });
});
