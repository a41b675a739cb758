/**
 * Crash test: a real worker process (`tourniquet worker`) is SIGKILLed twice in the middle of
 * the demo's secret-exposure incident: once while it is capturing evidence, once while the
 * incident waits for approval. New workers pick the incident up, and every step's effect
 * happens exactly once: the key rotated once, the evidence manifest intact, the gateway
 * started once. A freeze step running as a local activity is killed with its worker too, and
 * the incident then replays on a fresh worker without a nondeterminism.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { fingerprint } from '../../common/hash';
import { readEnvValue } from '../../activities/rotate';
import { verifyEvidence } from '../../activities';
import { approve, getProgress } from '../../client/incidents';
import { createSandbox, gatewayStarts, secretExposureIncident, stopGateway, type Sandbox } from '../../demo/sandbox';
import type { IncidentProgress } from '../../contract';
import { tempDir } from '../helpers/activity';
import { startTestServer, waitFor, type TestServer } from '../helpers/temporal';
import { startDraft } from '../helpers/start';
import { workerProcesses, type WorkerProcesses } from '../helpers/worker-process';

let env: TestServer;
let sandbox: Sandbox;
const home = tempDir('tourniquet-crash-home-');
const taskQueue = `crash-${randomUUID()}`;
let workers: WorkerProcesses;

before(async () => {
  env = await startTestServer();
  workers = workerProcesses({ address: env.address, home, taskQueue });
  sandbox = await createSandbox(tempDir('tourniquet-crash-sandbox-'));
});

after(async () => {
  await workers?.killAll();
  await stopGateway(sandbox);
  await env.stop();
});

it('an incident survives two worker crashes with every effect exactly once', async () => {
  const oldKey = readEnvValue(readFileSync(sandbox.envFile, 'utf8'), 'AGENT_API_KEY')!;
  const draft = secretExposureIncident(sandbox);
  // Make evidence capture slow enough to be killed in the middle, and let a dead worker be noticed fast.
  const capture = draft.steps.find((s) => s.id === 'capture-evidence')!;
  if (capture.action !== 'captureEvidence') throw new Error('demo incident changed shape');
  capture.args.commands = [...(capture.args.commands ?? []), { name: 'slow.txt', argv: ['sleep', '4'] }];
  capture.timeouts = { heartbeat: '2s' };

  let worker = workers.start();
  const { id, handle } = await startDraft(env.client, draft, { taskQueue });
  const progress = (what: string, check: (p: IncidentProgress) => boolean) =>
    waitFor(
      what,
      async () => {
        const p = await getProgress(env.client, id).catch(() => undefined);
        return p && check(p) ? p : undefined;
      },
      60_000,
    );

  // Crash 1: in the middle of the evidence capture.
  await progress('evidence capture to run', (p) => p.steps.find((s) => s.id === 'capture-evidence')?.status === 'running');
  await new Promise((r) => setTimeout(r, 1_000));
  await workers.kill(worker);
  worker = workers.start();

  // Crash 2: while the incident waits for a human.
  await progress('the approval gate', (p) => p.state === 'awaiting-approval');
  await workers.kill(worker);
  worker = workers.start();

  await approve(env.client, id, { step: 'restart-gateway', by: 'crash-test' });
  const result = await handle.result();
  assert.equal(result.state, 'resolved', JSON.stringify(result.steps, null, 2));

  const step = (sid: string) => result.steps.find((s) => s.id === sid)!;
  // The evidence step really was interrupted and retried...
  assert.ok(step('capture-evidence').attempts >= 2, `capture-evidence attempts: ${step('capture-evidence').attempts}`);
  const evidenceFolder = String(step('capture-evidence').result?.folder);
  const evidenceRoot = join(evidenceFolder, '..');
  assert.ok(
    readdirSync(evidenceRoot).some((f) => f.startsWith('.capture-evidence.attempt-')),
    'the interrupted attempt is kept, not deleted',
  );
  // ...and its published folder matches its manifest.
  assert.deepEqual(await verifyEvidence(evidenceFolder), []);

  // The key rotated exactly once: the file holds the value whose fingerprint the one rotation reported.
  const newKey = readEnvValue(readFileSync(sandbox.envFile, 'utf8'), 'AGENT_API_KEY')!;
  assert.notEqual(newKey, oldKey);
  assert.equal(step('rotate-api-key').attempts, 1);
  assert.equal(step('rotate-api-key').result?.newFingerprint, fingerprint(newKey));
  assert.equal(step('rotate-api-key').result?.oldFingerprint, fingerprint(oldKey));

  // The gateway started exactly once after the incident (plus once at sandbox set-up), with the new key.
  const starts = gatewayStarts(sandbox);
  assert.equal(starts.length, 2, starts.join('\n'));
  assert.ok(starts[1]!.includes(fingerprint(newKey)));
  assert.equal(step('smoke-gateway').status, 'succeeded');

  // Neither key appears anywhere in the workflow history. Protobuf's toJSON renders payload
  // bytes as base64, so decode every `data` field before searching.
  const history = JSON.stringify(await handle.fetchHistory(), (key, v: unknown) =>
    key === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v,
  );
  assert.ok(history.includes(fingerprint(newKey)), 'the decoded history is readable (it holds the fingerprint)');
  assert.ok(!history.includes(oldKey) && !history.includes(newKey), 'no secret in workflow history');
});

it('SIGTERM drains a worker: the running step finishes, the worker exits 0, nothing is redone', async () => {
  // Only the worker under test may poll the queue, so the running step is surely its own.
  await workers.killAll();
  const worker = workers.start();
  const dir = tempDir('tourniquet-drain-');
  const { id, handle } = await startDraft(
    env.client,
    {
      class: 'service-outage',
      severity: 'S3',
      title: 'drain on SIGTERM',
      steps: [
        { id: 'slow', action: 'runCommand', args: { argv: ['sh', '-c', `sleep 2; echo done >> ${join(dir, 'runs')}`] } },
        { id: 'after', action: 'runCommand', args: { argv: ['true'] } },
      ],
    },
    { taskQueue },
  );
  await waitFor('the slow step to run', async () => ((await getProgress(env.client, id)).steps[0]!.status === 'running' ? true : undefined));
  await new Promise((r) => setTimeout(r, 300));
  const exited = new Promise<number | null>((r) => worker.once('exit', (code) => r(code)));
  worker.kill('SIGTERM');
  assert.equal(await exited, 0, 'the worker shut down cleanly');
  // The step the worker was running completed before it left (one attempt); a new worker does the rest.
  workers.start();
  const result = await handle.result();
  assert.equal(result.state, 'resolved');
  assert.equal(result.steps[0]!.attempts, 1);
  assert.equal(readFileSync(join(dir, 'runs'), 'utf8'), 'done\n', 'the command ran once');
});

it('a freeze step running locally survives its worker being killed, and the incident replays on a fresh worker', async () => {
  await workers.killAll();
  let worker = workers.start();
  const dir = tempDir('tourniquet-local-crash-');
  const runs = join(dir, 'runs');
  const freeze = { phase: 'freeze', timeouts: { startToClose: '30s' }, effects: { freezes: ['agent'] } } as const;
  const { id, handle } = await startDraft(
    env.client,
    {
      class: 'runaway-automation',
      severity: 'S3',
      title: 'local freeze step under a crash',
      steps: [
        // Longer than a workflow task (10 s timeout, split at 8 s): its result lands in a later task.
        { id: 'slow-freeze', action: 'runCommand', ...freeze, args: { argv: ['sh', '-c', `echo run >> ${runs}; sleep 9`], rerunIfInterrupted: true } },
        { id: 'quick-freeze', action: 'runCommand', ...freeze, args: { argv: ['true'] } },
        { id: 'gated', action: 'runCommand', approval: { required: true }, args: { argv: ['true'] } },
      ],
    },
    { taskQueue },
  );
  // Crash 1: while the local step runs. Its workflow task times out and a new worker runs it again.
  await waitFor('the local step to start its command', async () => (existsSync(runs) ? true : undefined), 60_000);
  await workers.kill(worker);
  worker = workers.start();
  // Crash 2: at the gate, so the next worker rebuilds the incident from its whole history.
  await waitFor('the approval gate', async () => ((await getProgress(env.client, id)).state === 'awaiting-approval' ? true : undefined), 90_000);
  await workers.kill(worker);
  workers.start();
  await approve(env.client, id, { step: 'gated', by: 'crash-test' });
  const result = await handle.result();
  assert.equal(result.state, 'resolved', JSON.stringify(result.steps, null, 2));
  assert.equal(readFileSync(runs, 'utf8'), 'run\nrun\n', 'the interrupted command ran again once, as rerunIfInterrupted allows');

  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes!.activityId);
  assert.equal(scheduled.length, 1, 'only the gated step went through the server as an activity');
  const markers = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
  assert.equal(markers, 2, 'both freeze steps ran as local activities');
  assert.ok(
    events.some((e) => e.workflowTaskTimedOutEventAttributes),
    'the first worker really died inside its workflow task',
  );
  assert.equal(events.filter((e) => e.workflowTaskFailedEventAttributes).length, 0, 'no workflow task failed (no nondeterminism on replay)');
});
