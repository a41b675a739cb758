/**
 * The intake against a real Temporal dev server and worker: one incident per alert group under
 * concurrency, repeats and resolutions in its timeline, and end to end from a real Prometheus
 * Alertmanager (Debian's prometheus-alertmanager) driven with amtool.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { dedupedIncidentId } from '../../client/incidents';
import { freePort } from '../../common/probe';
import type { IncidentProgress } from '../../contract';
import { SECRETS, startIntakeStack, type IntakeStack } from '../helpers/intake';
import { waitFor } from '../helpers/temporal';

let stack: IntakeStack;

/** Contain with a trivial command, then hold at an approval gate: the incident stays open. */
const gated = (cls: string) => `class: ${cls}
severity: S2
title: from the alert
steps:
  - { id: contain, action: runCommand, phase: contain, args: { argv: ["true"] } }
  - { id: hold, action: runCommand, approval: { required: true }, args: { argv: ["true"] } }
`;

before(async () => {
  stack = await startIntakeStack('intake', {
    templates: { 'flood.yaml': gated('runaway-automation'), 'key-leak.yaml': gated('secret-exposure') },
    routes: `routes:
  - { name: flood, sources: [generic], match: { labels.alertname: Flood }, playbook: flood, severity: S2 }
  - { name: key-leak, sources: [alertmanager], match: { labels.alertname: SecretInLogs }, playbook: key-leak, severity: S1, targets: [gateway] }
`,
  });
});

after(() => stack?.stop());

interface Answer {
  matched: boolean;
  incidentId?: string;
  outcome?: string;
}

const postGeneric = (body: object) => stack.postGeneric<Answer>(body);

const until = (id: string, what: string, check: (p: IncidentProgress) => boolean, timeoutMs?: number) => stack.until(id, what, check, timeoutMs);

const alertEvents = (p: IncidentProgress) => p.timeline.filter((e) => e.kind === 'alert');

async function runsOf(id: string): Promise<number> {
  const runs = [];
  for await (const run of stack.env.client.workflow.list({ query: `WorkflowId = '${id}'` })) runs.push(run.runId);
  return runs.length;
}

describe('intake with a real Temporal server', () => {
  it('starts exactly one incident for 50 concurrent deliveries of one key, and records all 50', async () => {
    const key = `flood-${randomUUID()}`;
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => postGeneric({ dedupKey: key, summary: `mailer loop, delivery ${i + 1}`, labels: { alertname: 'Flood' } })),
    );
    assert.ok(
      answers.every((a) => a.status === 202 && a.answer.matched),
      JSON.stringify(answers.find((a) => a.status !== 202)),
    );
    const ids = new Set(answers.map((a) => a.answer.incidentId));
    assert.equal(ids.size, 1, 'one incident id');
    const id = [...ids][0]!;
    assert.equal(id, dedupedIncidentId({ class: 'runaway-automation' }, `generic:${key}`));
    assert.equal(answers.filter((a) => a.answer.outcome === 'started').length, 1);
    assert.equal(answers.filter((a) => a.answer.outcome === 'repeat').length, 49);
    const p = await until(id, '50 alert events', (x) => alertEvents(x).length === 50);
    assert.deepEqual(new Set(alertEvents(p).map((e) => e.message.replace(/.*delivery /, ''))).size, 50, 'every delivery recorded once');
    assert.equal(await waitFor('visibility', async () => ((await runsOf(id)) >= 1 ? runsOf(id) : undefined)), 1, 'one run of that id');
    const contained = await until(id, 'the containment step', (x) => x.steps[0]!.status === 'succeeded' && x.state === 'awaiting-approval');
    assert.equal(contained.steps[0]!.phase, 'contain');
  });

  it('repeats of an open incident that arrive together go as batches, and every one reaches the incident', async () => {
    const key = `flood-${randomUUID()}`;
    const first = await postGeneric({ dedupKey: key, summary: 'mailer loop, delivery 0', labels: { alertname: 'Flood' } });
    assert.equal(first.answer.outcome, 'started');
    const id = first.answer.incidentId!;
    await until(id, 'the approval gate', (p) => p.state === 'awaiting-approval');
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => postGeneric({ dedupKey: key, summary: `mailer loop, delivery ${i + 1}`, labels: { alertname: 'Flood' } })),
    );
    assert.ok(
      answers.every((a) => a.status === 202 && a.answer.outcome === 'repeat' && a.answer.incidentId === id),
      JSON.stringify(answers.find((a) => a.status !== 202)),
    );
    // A signal acknowledged while the incident's workflow task runs is durable in the server's
    // record of the incident at once, but enters the history only when that task completes:
    // read the history once the workflow has seen all 41 (coalesce.test.ts checks that no
    // answer comes before its signal is acknowledged).
    const p = await until(id, '41 alert events', (x) => alertEvents(x).length === 41);
    const signaled = (await stack.env.client.workflow.getHandle(id).fetchHistory()).events!.flatMap((e) =>
      e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes] : [],
    );
    const perSignal = signaled.map((s) => {
      const payload = JSON.parse(Buffer.from(s.input!.payloads![0]!.data!).toString('utf8')) as { summary: string } | { summary: string }[];
      return (Array.isArray(payload) ? payload : [payload]).map((n) => n.summary);
    });
    assert.deepEqual(new Set(perSignal.flat()).size, 41, 'all 41 deliveries in the history');
    assert.ok(
      perSignal.some((summaries) => summaries.length > 1),
      'some went as a batch',
    );
    assert.ok(signaled.length < 41, `${signaled.length} signals for 41 deliveries`);
    assert.equal(new Set(alertEvents(p).map((e) => e.message.replace(/.*delivery /, ''))).size, 41, 'every delivery recorded once');
  });

  it('delivers a resolution to the running incident without closing it; a resolution alone starts nothing', async () => {
    const key = `flood-${randomUUID()}`;
    const first = await postGeneric({ dedupKey: key, summary: 'cron loop', labels: { alertname: 'Flood' } });
    assert.equal(first.answer.outcome, 'started');
    const id = first.answer.incidentId!;
    await until(id, 'the approval gate', (p) => p.state === 'awaiting-approval');
    const resolved = await postGeneric({ dedupKey: key, status: 'resolved', summary: 'cron loop stopped', labels: { alertname: 'Flood' } });
    assert.deepEqual(resolved.answer, { matched: true, route: 'flood', incidentId: id, outcome: 'resolved' });
    const p = await until(id, 'the resolution in the timeline', (x) => alertEvents(x).some((e) => e.message.startsWith('resolved from generic')));
    assert.equal(p.state, 'awaiting-approval', 'still open: the playbook decides when it ends');
    assert.equal(p.endedAt, undefined);

    const orphan = await postGeneric({ dedupKey: `never-fired-${randomUUID()}`, status: 'resolved', summary: 'x', labels: { alertname: 'Flood' } });
    assert.equal(orphan.status, 202);
    assert.equal(orphan.answer.outcome, 'resolved-no-incident');
    assert.equal(await runsOf(orphan.answer.incidentId!), 0);
  });
});

function onPath(...names: string[]): string | undefined {
  for (const name of names) {
    for (const d of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
      try {
        accessSync(join(d, name), constants.X_OK);
        return join(d, name);
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

describe('end to end with a real Prometheus Alertmanager', () => {
  const alertmanagerBin = onPath('prometheus-alertmanager', 'alertmanager');
  const amtool = onPath('amtool');
  const missing = !alertmanagerBin || !amtool ? 'prometheus-alertmanager / amtool not installed (apt-get install prometheus-alertmanager)' : undefined;
  if (missing) process.stdout.write(`# skipping the Alertmanager end-to-end test: ${missing}\n`);
  let am: ChildProcess | undefined;

  after(() => {
    am?.kill('SIGTERM');
  });

  it('an alert posted with amtool starts an incident, and its resolution reaches the timeline', { skip: missing }, async () => {
    const amDir = join(stack.dir, 'alertmanager');
    mkdirSync(join(amDir, 'data'), { recursive: true });
    const port = await freePort();
    const amUrl = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(amDir, 'alertmanager.yml'),
      `route:
  receiver: tourniquet
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: tourniquet
    webhook_configs:
      - url: ${stack.intake.url}/alerts/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: ${SECRETS.amToken}
`,
    );
    am = spawn(
      alertmanagerBin!,
      [
        `--config.file=${join(amDir, 'alertmanager.yml')}`,
        `--storage.path=${join(amDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
    await waitFor('Alertmanager ready', async () => ((await fetch(`${amUrl}/-/ready`).catch(() => undefined))?.ok ? true : undefined), 20_000);

    const startsAt = new Date(Date.now() - 1000).toISOString();
    const labels = ['alertname=SecretInLogs', 'service=gateway'];
    const summary = '--annotation=summary=API key found in the gateway log';
    await execa(amtool!, ['alert', 'add', ...labels, summary, `--start=${startsAt}`, `--alertmanager.url=${amUrl}`]);

    const id = dedupedIncidentId({ class: 'secret-exposure' }, 'alertmanager:{}:{alertname="SecretInLogs"}');
    const firing = await until(id, 'the incident started by Alertmanager', (p) => alertEvents(p).length >= 1, 30_000);
    assert.equal(firing.severity, 'S1');
    assert.deepEqual(firing.targets, ['gateway']);
    assert.equal(firing.title, '[firing:1] SecretInLogs: API key found in the gateway log');
    assert.match(alertEvents(firing)[0]!.message, /^firing from alertmanager/);

    await execa(amtool!, ['alert', 'add', ...labels, summary, `--start=${startsAt}`, `--end=${new Date().toISOString()}`, `--alertmanager.url=${amUrl}`]);
    const resolved = await until(
      id,
      'the resolution from Alertmanager',
      (p) => alertEvents(p).some((e) => e.message.startsWith('resolved from alertmanager')),
      30_000,
    );
    assert.notEqual(resolved.state, 'resolved', 'a resolved alert does not close the incident');
    assert.equal(resolved.endedAt, undefined);
    assert.equal(await runsOf(id), 1);
  });
});
