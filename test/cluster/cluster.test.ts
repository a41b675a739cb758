/**
 * The production topology, for real: a Temporal 1.32 cluster built from its Go module (frontend,
 * history, matching and worker as four processes) on a private PostgreSQL, with two
 * `tourniquet worker` and two `tourniquet intake` processes on one task queue, all on 127.0.0.1.
 *
 * It shows incidents from the CLI and from alerts complete across both workers; a worker
 * SIGKILLed mid-step is replaced by the other after the heartbeat timeout with every effect
 * once; SIGKILLs of history and of frontend and a PostgreSQL restart mid-incident lose no alert
 * notice and no approval. Failover figures (from each fault to the incident moving again) are
 * printed, not asserted: the machine is shared.
 *
 * Needs the server build (`tourniquet cluster build`, done by .ci/run; built here if missing, ~4
 * min cold) and PostgreSQL (`apt-get install postgresql`).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { execa } from 'execa';
import { verifyEvidence } from '../../activities';
import { fingerprint } from '../../common/hash';
import { readEnvValue } from '../../activities/rotate';
import { getProgress } from '../../client/incidents';
import { PROJECT_ROOT } from '../../common/paths';
import { createSandbox, gatewayStarts, secretExposureIncident, stopGateway, type Sandbox } from '../../demo/sandbox';
import { clusterBinariesPresent, ensureClusterBinaries, findPostgresBin, startLocalCluster, type LocalCluster } from '../../server/cluster';
import { lowPorts } from '../../server/cluster/ports';
import type { IncidentProgress } from '../../contract';
import { tempDir } from '../helpers/activity';
import { quietLogger, waitFor } from '../helpers/temporal';

const TOKEN = 'cluster-generic-token-0123456789abcdef';
const dir = tempDir('tourniquet-cluster-');
// PostgreSQL runs as the postgres user when the test runs as root: it must reach its folder.
chmodSync(dir, 0o711);
/** One host's worth of state: both workers act on this machine, so they share the step journal. */
const home = join(dir, 'home');
const taskQueue = `cluster-${randomUUID().slice(0, 8)}`;
const BIN = join(PROJECT_ROOT, 'bin', 'tourniquet.js');

let cluster: LocalCluster;
let client: Client;
const workers: ChildProcess[] = [];
const intakes: { child: ChildProcess; url: string }[] = [];
const figures: string[] = [];

const figure = (line: string) => {
  figures.push(line);
  process.stdout.write(`# ${line}\n`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

function appEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, TEMPORAL_ADDRESS: cluster.address, TOURNIQUET_HOME: home, TOURNIQUET_TASK_QUEUE: taskQueue, LOG_LEVEL: 'info', ...extra };
}

async function startWorker(slot: number): Promise<ChildProcess> {
  const log = join(dir, `worker-${slot}-${Date.now()}.log`);
  const out = openSync(log, 'w');
  const child = spawn(process.execPath, [BIN, 'worker'], { env: appEnv(), stdio: ['ignore', 'ignore', out] });
  closeSync(out);
  workers[slot] = child;
  await waitFor(
    `worker ${slot} to run (log ${log})`,
    async () => {
      if (!alive(child)) throw new Error(`worker ${slot} exited at start (${child.exitCode ?? child.signalCode}); see ${log}`);
      return readFileSync(log, 'utf8').includes('"msg":"worker running"') ? true : undefined;
    },
    120_000,
  );
  return child;
}

const identityOf = (c: ChildProcess) => `${c.pid}@`;

async function killWorker(c: ChildProcess): Promise<void> {
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await exited;
}

async function startIntakes(): Promise<void> {
  mkdirSync(join(dir, 'templates'), { recursive: true });
  // Contain, work a little, then hold at an approval gate: the incident is open across faults.
  writeFileSync(
    join(dir, 'templates', 'gated.yaml'),
    `class: runaway-automation
severity: S2
title: from the alert
steps:
  - { id: contain, action: runCommand, phase: contain, args: { argv: ["sleep", "1"] } }
  - { id: work, action: runCommand, args: { argv: ["sleep", "4"] } }
  - { id: gate, action: runCommand, approval: { required: true }, args: { argv: ["true"] } }
  - { id: after, action: runCommand, args: { argv: ["true"] } }
`,
  );
  writeFileSync(
    join(dir, 'routes.yaml'),
    `routes:\n  - { name: gated, sources: [generic], match: { labels.alertname: Gated }, playbook: gated, severity: S2 }\n`,
  );
  const ports = await lowPorts(2);
  for (const [slot, port] of ports.entries()) {
    const log = join(dir, `intake-${slot}.log`);
    const out = openSync(log, 'w');
    const child = spawn(
      process.execPath,
      [BIN, 'intake', '--routes', join(dir, 'routes.yaml'), '--templates', join(dir, 'templates'), '--port', String(port)],
      {
        env: appEnv({ TOURNIQUET_INTAKE_GENERIC_TOKEN: TOKEN }),
        stdio: ['ignore', out, out],
      },
    );
    closeSync(out);
    const url = `http://127.0.0.1:${port}`;
    intakes.push({ child, url });
    await waitFor(
      `intake ${slot} to listen (log ${log})`,
      async () => {
        if (!alive(child)) throw new Error(`intake ${slot} exited at start; see ${log}`);
        return readFileSync(log, 'utf8').includes('intake listening') ? true : undefined;
      },
      60_000,
    );
  }
}

interface Answer {
  matched?: boolean;
  incidentId?: string;
  outcome?: string;
}

async function postAlert(slot: number, key: string, summary: string): Promise<{ status: number; answer: Answer }> {
  const res = await fetch(`${intakes[slot]!.url}/alerts/generic`, {
    method: 'POST',
    body: JSON.stringify({ dedupKey: key, summary, labels: { alertname: 'Gated' } }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, answer: (await res.json()) as Answer };
}

/** As a sender (Alertmanager, Grafana) does: retry until the intake accepts (202). Returns the tries. */
async function deliver(slot: number, key: string, summary: string, timeoutMs = 120_000): Promise<{ tries: number; answer: Answer }> {
  const deadline = Date.now() + timeoutMs;
  for (let tries = 1; ; tries++) {
    const r = await postAlert(slot, key, summary).catch((err: Error) => ({ status: 0, answer: { reason: err.message } as Answer }));
    if (r.status === 202) return { tries, answer: r.answer };
    if (Date.now() > deadline)
      throw new Error(`intake ${slot} did not accept "${summary}" within ${timeoutMs / 1000}s (last: ${r.status} ${JSON.stringify(r.answer)})`);
    await sleep(500);
  }
}

async function cli(args: string[]): Promise<string> {
  const r = await execa(process.execPath, [BIN, ...args], { env: appEnv({ LOG_LEVEL: 'warn' }), reject: false, timeout: 120_000 });
  assert.equal(r.exitCode, 0, `tourniquet ${args.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

const until = (id: string, what: string, check: (p: IncidentProgress) => boolean, timeoutMs = 120_000) =>
  waitFor(
    `${id}: ${what}`,
    async () => {
      const p = await getProgress(client, id).catch(() => undefined);
      return p && check(p) ? p : undefined;
    },
    timeoutMs,
  );

/** Identities of the workers that ran this incident's workflow and activity tasks. */
async function identities(handle: WorkflowHandle): Promise<{ workflow: Set<string>; activity: Set<string> }> {
  const history = await handle.fetchHistory();
  const workflow = new Set<string>();
  const activity = new Set<string>();
  for (const e of history.events ?? []) {
    if (e.workflowTaskStartedEventAttributes?.identity) workflow.add(e.workflowTaskStartedEventAttributes.identity);
    if (e.activityTaskStartedEventAttributes?.identity) activity.add(e.activityTaskStartedEventAttributes.identity);
  }
  return { workflow, activity };
}

const eventCount = async (handle: WorkflowHandle) => (await handle.fetchHistory()).events?.length ?? 0;

/** Milliseconds from `since` until the incident's history grows past `events` (the incident moves again). */
async function movesAgain(handle: WorkflowHandle, events: number, since: number): Promise<number> {
  await waitFor('the incident to move again', async () => ((await eventCount(handle).catch(() => 0)) > events ? true : undefined), 180_000);
  return Date.now() - since;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Why this machine cannot run the cluster (the suite is skipped and says so), or undefined. */
function unavailable(): string | undefined {
  try {
    findPostgresBin();
  } catch (err) {
    return (err as Error).message;
  }
  if (!clusterBinariesPresent() && spawnSync('go', ['version']).status !== 0)
    return 'the Temporal server is not built and Go is not on PATH to build it (`tourniquet cluster build`)';
  return undefined;
}
const skip = unavailable();

before(async () => {
  if (skip) return;
  const binaries = await ensureClusterBinaries(quietLogger);
  cluster = await startLocalCluster({ dir: join(dir, 'cluster'), binaries, logger: quietLogger });
  figure(
    `cluster ready: ${Object.entries(cluster.timings)
      .map(([k, v]) => `${k} ${v} ms`)
      .join(', ')} (frontend ${cluster.address}, PostgreSQL :${cluster.ports.postgres})`,
  );
  client = new Client({ connection: await Connection.connect({ address: cluster.address }), namespace: cluster.namespace });
  await Promise.all([startWorker(0), startWorker(1)]);
  await startIntakes();
});

after(async () => {
  for (const c of [...workers, ...intakes.map((i) => i.child)]) if (c && alive(c)) c.kill('SIGKILL');
  await client?.connection.close();
  await cluster?.stop();
  if (figures.length) process.stdout.write(`# failover figures\n${figures.map((f) => `#   ${f}`).join('\n')}\n`);
});

describe('tourniquet on a Temporal cluster on PostgreSQL', { skip }, () => {
  it('search attributes are registered: setup --cluster finds them all, and visibility queries by them', async () => {
    const out = JSON.parse(await cli(['setup', '--cluster', '--json'])) as { created: boolean; added: string[]; present: string[] };
    assert.deepEqual(
      { created: out.created, added: out.added },
      { created: false, added: [] },
      'the cluster start-up registered the namespace and the attributes already',
    );
    assert.deepEqual(out.present.sort(), ['IncidentClass', 'IncidentMode', 'IncidentPhase', 'IncidentSeverity']);
  });

  it('incidents from the CLI and from one alert posted to both intakes complete across both workers', async () => {
    const incidentFile = join(dir, 'cli-incident.yaml');
    writeFileSync(
      incidentFile,
      `class: service-outage
severity: S3
title: from the CLI on the cluster
steps:
  - { id: one, action: runCommand, args: { argv: ["sleep", "0.3"] } }
  - { id: two, action: runCommand, args: { argv: ["sleep", "0.3"] } }
  - { id: three, action: runCommand, args: { argv: ["true"] } }
`,
    );
    const ids = await Promise.all(
      Array.from({ length: 6 }, () => cli(['start', '-f', incidentFile, '--json']).then((o) => (JSON.parse(o) as { id: string }).id)),
    );

    // The same alert to both intakes at once: one incident.
    const key = `both-${randomUUID()}`;
    const [a, b] = await Promise.all([postAlert(0, key, 'disk filling, seen by intake 0'), postAlert(1, key, 'disk filling, seen by intake 1')]);
    assert.equal(a.status, 202, JSON.stringify(a.answer));
    assert.equal(b.status, 202, JSON.stringify(b.answer));
    assert.equal(a.answer.incidentId, b.answer.incidentId, 'both intakes name one incident');
    // `outcome` is each intake's own view (a run it had not seen before is "started"), so two
    // intakes may both say so; what counts is one run of that id, holding both deliveries.
    const alertId = a.answer.incidentId!;
    const runs: string[] = [];
    for await (const run of client.workflow.list({ query: `WorkflowId = '${alertId}'` })) runs.push(run.runId);
    assert.equal(runs.length, 1, `one run of ${alertId}, found ${runs.length} (outcomes ${a.answer.outcome}, ${b.answer.outcome})`);
    const gated = await until(alertId, 'the approval gate', (p) => p.state === 'awaiting-approval');
    assert.equal(gated.timeline.filter((e) => e.kind === 'alert').length, 2, 'both deliveries recorded in its timeline');

    // The approval through the CLI of an intake host, which runs no worker.
    const sticky = [...(await identities(client.workflow.getHandle(alertId))).workflow].at(-1);
    await cli(['approve', alertId, 'gate', '--by', 'oncall']);
    const alertDone = (await client.workflow.getHandle(alertId).result()) as IncidentProgress;
    assert.equal(alertDone.state, 'resolved', JSON.stringify(alertDone.steps));
    figure(`approval via the CLI (no worker on that host) reached the incident held by worker ${sticky}`);

    const seen = new Set<string>();
    for (const id of [...ids, alertId]) {
      const handle = client.workflow.getHandle(id);
      const done = (await handle.result()) as IncidentProgress;
      assert.equal(done.state, 'resolved', `${id}: ${JSON.stringify(done.steps)}`);
      const who = await identities(handle);
      for (const i of [...who.workflow, ...who.activity]) seen.add(i.split('@')[0]!);
    }
    const pids = workers.map((w) => String(w.pid));
    assert.ok(
      pids.every((pid) => seen.has(pid)),
      `both workers (pids ${pids.join(', ')}) should have run tasks of these 7 incidents; seen: ${[...seen].join(', ')}. If one worker got nothing, check its log in ${dir}`,
    );
  });

  it('SIGKILL of the worker running a step: the other takes over after the heartbeat timeout, every effect once', async () => {
    const sandbox: Sandbox = await createSandbox(join(dir, 'sandbox'));
    try {
      const oldKey = readEnvValue(readFileSync(sandbox.envFile, 'utf8'), 'AGENT_API_KEY')!;
      const draft = secretExposureIncident(sandbox);
      const capture = draft.steps.find((s) => s.id === 'capture-evidence')!;
      if (capture.action !== 'captureEvidence') throw new Error('the demo incident changed shape: capture-evidence is not a captureEvidence step');
      // Long enough to be killed in the middle; the preset's heartbeat timeout (10 s) is left as is.
      capture.args.commands = [...(capture.args.commands ?? []), { name: 'slow.txt', argv: ['sleep', '6'] }];
      const incidentFile = join(dir, 'secret-exposure.json');
      writeFileSync(incidentFile, JSON.stringify(draft));
      const { id } = JSON.parse(await cli(['start', '-f', incidentFile, '--json', '--by', 'requester'])) as { id: string };
      const handle = client.workflow.getHandle(id);

      const running = await waitFor(
        'capture-evidence to be running on a worker',
        async () => {
          const pending = (await handle.describe()).raw.pendingActivities ?? [];
          const p = pending.find((a) => a.activityType?.name === 'captureEvidence' && a.lastWorkerIdentity);
          return p ?? undefined;
        },
        120_000,
      );
      await sleep(1_000);
      const victim = workers.findIndex((w) => running.lastWorkerIdentity!.startsWith(identityOf(w)));
      assert.ok(victim >= 0, `the step runs on ${running.lastWorkerIdentity}, which is neither worker (${workers.map((w) => w.pid).join(', ')})`);
      const survivor = workers[1 - victim]!;
      const killedAt = Date.now();
      await killWorker(workers[victim]!);
      const takeover = await waitFor(
        'the other worker to take the step over',
        async () => {
          const pending = (await handle.describe()).raw.pendingActivities ?? [];
          const p = pending.find((a) => a.activityType?.name === 'captureEvidence');
          if (!p) return Date.now();
          return (p.attempt ?? 1) >= 2 && p.lastWorkerIdentity?.startsWith(identityOf(survivor)) && Number(p.state) === 2 ? Date.now() : undefined;
        },
        120_000,
      );
      figure(`worker SIGKILL mid-step: the other worker took the step over ${secs(takeover - killedAt)} after the kill (heartbeat timeout 10 s)`);
      await startWorker(victim);

      await until(id, 'the approval gate', (p) => p.state === 'awaiting-approval');
      await cli(['approve', id, 'restart-gateway', '--by', 'oncall']);
      const result = (await handle.result()) as IncidentProgress;
      assert.equal(result.state, 'resolved', JSON.stringify(result.steps, null, 2));
      const step = (sid: string) => result.steps.find((s) => s.id === sid)!;
      assert.ok(
        step('capture-evidence').attempts >= 2,
        `capture-evidence should have been retried after the kill; attempts: ${step('capture-evidence').attempts}`,
      );
      const evidenceFolder = String(step('capture-evidence').result?.folder);
      assert.deepEqual(await verifyEvidence(evidenceFolder), [], 'the evidence folder matches its manifest');
      assert.ok(
        readdirSync(join(evidenceFolder, '..')).some((f) => f.startsWith('.capture-evidence.attempt-')),
        'the interrupted attempt is kept',
      );
      const newKey = readEnvValue(readFileSync(sandbox.envFile, 'utf8'), 'AGENT_API_KEY')!;
      assert.notEqual(newKey, oldKey);
      assert.equal(step('rotate-api-key').attempts, 1, 'the key rotated once');
      assert.equal(step('rotate-api-key').result?.newFingerprint, fingerprint(newKey));
      const starts = gatewayStarts(sandbox);
      assert.equal(starts.length, 2, `the gateway started once by the incident (plus once at set-up):\n${starts.join('\n')}`);
      assert.equal(step('smoke-gateway').status, 'succeeded');
    } finally {
      await stopGateway(sandbox);
    }
  });

  /**
   * One fault, mid-step: the incident (from an alert) is running its `work` step when `fault`
   * strikes; during the outage a repeat of the alert is delivered to the other intake, retried
   * until accepted; after `recover`, the incident reaches its gate, the CLI approves, it resolves.
   */
  async function faultCase(label: string, fault: () => Promise<void>, recover: () => Promise<void>, downMs: number): Promise<void> {
    const key = `${label.replace(/\W+/g, '-')}-${randomUUID()}`;
    const first = await deliver(0, key, `${label}: first notice`);
    assert.equal(first.answer.outcome, 'started', JSON.stringify(first.answer));
    const id = first.answer.incidentId!;
    const handle = client.workflow.getHandle(id);
    await until(id, 'the work step to run', (p) => p.steps.find((s) => s.id === 'work')?.status === 'running');
    await sleep(1_000);

    const events = await eventCount(handle);
    const faultAt = Date.now();
    await fault();
    const during = deliver(1, key, `${label}: notice during the outage`);
    await sleep(downMs);
    const recoverAt = Date.now();
    await recover();
    const readyAt = Date.now();
    const moved = await movesAgain(handle, events, faultAt);
    const notice = await during;
    figure(
      `${label}: incident moved again ${secs(moved)} after the fault (${secs(faultAt + moved - readyAt)} after the component was back; down ${secs(recoverAt - faultAt)}, restart took ${secs(readyAt - recoverAt)}); the alert sent meanwhile took ${notice.tries} tries`,
    );

    await until(id, 'the approval gate', (p) => p.state === 'awaiting-approval', 180_000);
    await cli(['approve', id, 'gate', '--by', 'oncall', '--comment', `after ${label}`]);
    const done = (await handle.result()) as IncidentProgress;
    assert.equal(done.state, 'resolved', `${label}: ${JSON.stringify(done.steps)}`);
    const notices = done.timeline.filter((e) => e.kind === 'alert').map((e) => e.message);
    assert.ok(
      notices.some((m) => m.includes(`${label}: first notice`)),
      `${label}: the first alert notice is in the timeline: ${notices.join(' | ')}`,
    );
    assert.ok(
      notices.some((m) => m.includes(`${label}: notice during the outage`)),
      `${label}: the notice delivered during the outage is lost: ${notices.join(' | ')}`,
    );
    const gate = done.steps.find((s) => s.id === 'gate')!;
    assert.deepEqual(gate.approvedBy ?? gate.decisions?.map((d) => d.by), ['oncall'], `${label}: the approval is recorded once: ${JSON.stringify(gate)}`);
    for (const s of done.steps) assert.equal(s.status, 'succeeded', `${label}: step ${s.id} ${s.status}`);
  }

  it('SIGKILL of the history service mid-incident, restarted after 2 s: the incident resumes, no notice or approval lost', async () => {
    const history = cluster.services.history;
    await faultCase(
      'history SIGKILL',
      () => history.kill('SIGKILL'),
      () => history.start(),
      2_000,
    );
  });

  it('SIGKILL of the frontend mid-incident, restarted after 2 s: the incident resumes, no notice or approval lost', async () => {
    const frontend = cluster.services.frontend;
    await faultCase(
      'frontend SIGKILL',
      () => frontend.kill('SIGKILL'),
      () => frontend.start(),
      2_000,
    );
  });

  it('PostgreSQL restarted mid-incident: the incident resumes, no notice or approval lost', async () => {
    await faultCase(
      'PostgreSQL restart',
      () => Promise.resolve(),
      () => cluster.postgres.restart(),
      0,
    );
  });
});
