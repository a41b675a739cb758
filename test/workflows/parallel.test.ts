/**
 * Parallel groups and fan-out on a real Temporal dev server with a real worker: the limits are
 * observed where the requests land (a local revocation API counting what it holds at once),
 * not in the workflow's own record.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { approve, cancelIncident, getProgress } from '../../client/incidents';
import type { IncidentInputDraft, IncidentProgress, StepInput } from '../../contract';
import { tempDir } from '../helpers/activity';
import { endpoint } from '../helpers/http';
import { revoker, type Revoker } from '../helpers/revoker';
import { startTestServer, startTestWorker, waitFor, type TestServer } from '../helpers/temporal';
import { startDraft } from '../helpers/start';

let env: TestServer;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `parallel-${randomUUID()}`;
const home = tempDir('tourniquet-parallel-home-');
const closers: (() => void)[] = [];

before(async () => {
  env = await startTestServer();
  ({ worker, running } = await startTestWorker(env, { taskQueue, home: home }));
});

after(async () => {
  for (const close of closers) close();
  worker.shutdown();
  await running;
  await env.stop();
});

const start = (draft: IncidentInputDraft) => startDraft(env.client, draft, { taskQueue });

const until = (id: string, what: string, check: (p: IncidentProgress) => boolean) =>
  waitFor(what, async () => {
    const p = await getProgress(env.client, id);
    return check(p) ? p : undefined;
  });

/** An env file with one credential per item (`K1=tok1`, ...), and the revocation API the items call. */
async function credentials(count: number, o: Parameters<typeof revoker>[0]): Promise<{ envFile: string; api: Revoker; keys: string[] }> {
  const dir = tempDir('tourniquet-parallel-creds-');
  const keys = Array.from({ length: count }, (_, i) => `k${i + 1}`);
  const envFile = join(dir, 'agent.env');
  writeFileSync(envFile, keys.map((k, i) => `${k.toUpperCase()}=tok${i + 1}\n`).join(''), { mode: 0o600 });
  const api = await revoker(o);
  closers.push(api.close);
  return { envFile, api, keys };
}

/** A fan-out of revocations, one item per key, then a note-free end. */
function fanOut(
  c: { envFile: string; api: Revoker; keys: string[] },
  fan: { maxConcurrency: number; errorThreshold?: number },
  step: Partial<StepInput> = {},
): IncidentInputDraft {
  return {
    class: 'secret-exposure',
    severity: 'S2',
    title: 'fan-out of revocations',
    steps: c.keys.map(
      (k) =>
        ({
          id: `rotate[${k}]`,
          action: 'rotateKey',
          retry: { initialInterval: '100ms', maximumAttempts: 5 },
          ...step,
          fanOut: { step: 'rotate', item: k, ...fan },
          args: { method: 'http-revoke', url: c.api.url, credential: { envFile: c.envFile, key: k.toUpperCase() } },
        }) as StepInput,
    ),
  };
}

const tokens = (api: Revoker, status?: number) =>
  api.requests
    .filter((r) => status === undefined || r.status === status)
    .map((r) => r.token)
    .sort();

describe('fan-out', () => {
  it('never has more items in flight than maxConcurrency, and each item is its own step', async () => {
    const c = await credentials(6, { holdMs: 400 });
    const { id, handle } = await start(fanOut(c, { maxConcurrency: 2 }));
    const result = (await handle.result()) as IncidentProgress;
    assert.equal(result.state, 'resolved');
    assert.equal(c.api.maxInFlight(), 2, 'two revocations overlapped, never three');
    assert.deepEqual(tokens(c.api, 200), ['tok1', 'tok2', 'tok3', 'tok4', 'tok5', 'tok6']);
    assert.equal(c.api.requests.length, 6, 'one request per item');
    for (const k of c.keys) {
      const step = result.steps.find((s) => s.id === `rotate[${k}]`)!;
      assert.equal(step.status, 'succeeded');
      assert.equal(step.fanOut, 'rotate');
      assert.equal(step.item, k);
      assert.ok(result.timeline.some((e) => e.kind === 'step-succeeded' && e.step === `rotate[${k}]`));
    }
    assert.match((await getProgress(env.client, id)).timeline.at(-1)!.message, /all steps done/);
  });

  it('an item that fails is retried alone', async () => {
    const c = await credentials(3, { holdMs: 100, failures: (token, n) => token === 'tok2' && n <= 2 });
    const { handle } = await start(fanOut(c, { maxConcurrency: 3 }));
    const result = (await handle.result()) as IncidentProgress;
    assert.equal(result.state, 'resolved');
    assert.deepEqual(
      result.steps.map((s) => [s.id, s.attempts]),
      [
        ['rotate[k1]', 1],
        ['rotate[k2]', 3],
        ['rotate[k3]', 1],
      ],
    );
    assert.deepEqual(tokens(c.api), ['tok1', 'tok2', 'tok2', 'tok2', 'tok3'], 'only the failing item was sent again');
    assert.deepEqual(tokens(c.api, 200), ['tok1', 'tok2', 'tok3']);
  });

  it('stops launching new items once errorThreshold items failed', async () => {
    const c = await credentials(5, { holdMs: 50, failures: (token) => token === 'tok1' || token === 'tok2' });
    const { handle } = await start(fanOut(c, { maxConcurrency: 1, errorThreshold: 2 }, { onFailure: 'continue', retry: { maximumAttempts: 1 } }));
    const result = (await handle.result()) as IncidentProgress;
    assert.deepEqual(
      result.steps.map((s) => s.status),
      ['failed', 'failed', 'skipped', 'skipped', 'skipped'],
    );
    assert.match(result.timeline.find((e) => e.kind === 'step-skipped' && e.step === 'rotate[k3]')!.message, /not launched, 2 item\(s\) of "rotate" failed/);
    assert.deepEqual(tokens(c.api), ['tok1', 'tok2'], 'the items after the threshold never reached the API');
  });
});

describe('parallel groups', () => {
  it('join any: the group ends at the first member that succeeds, and the other is cancelled', async () => {
    const broken = await endpoint(() => 500);
    const healthy = await endpoint(() => 200);
    closers.push(broken.close, healthy.close);
    const group = { id: 'either-check', join: 'any' as const };
    const { handle } = await start({
      class: 'service-outage',
      severity: 'S2',
      title: 'either check will do',
      steps: [
        {
          id: 'check-primary',
          action: 'smokeTest',
          group,
          retry: { initialInterval: '200ms', maximumAttempts: 100 },
          args: { kind: 'http', url: `${broken.base}/` },
        },
        { id: 'check-replica', action: 'smokeTest', group, args: { kind: 'http', url: `${healthy.base}/` } },
        { id: 'after', action: 'runCommand', args: { argv: ['true'] } },
      ],
    });
    const result = (await handle.result()) as IncidentProgress;
    assert.equal(result.state, 'resolved');
    const status = Object.fromEntries(result.steps.map((s) => [s.id, s.status]));
    assert.deepEqual(status, { 'check-primary': 'skipped', 'check-replica': 'succeeded', after: 'succeeded' });
    assert.match(
      result.timeline.find((e) => e.step === 'check-primary' && e.kind === 'step-skipped')!.message,
      /not needed, "check-replica" succeeded first \(join: any\)/,
    );
    assert.ok(broken.received.length >= 1, 'the broken check really ran');
  });

  it('cancellation undoes every completed item, newest first', async () => {
    const dir = tempDir('tourniquet-parallel-files-');
    const files = ['a', 'b', 'c'].map((n) => join(dir, `${n}.txt`));
    for (const f of files) writeFileSync(f, `content of ${f}\n`);
    const items: StepInput[] = files.map(
      (path, i) =>
        ({
          id: `hide[f${i + 1}]`,
          action: 'quarantine',
          fanOut: { step: 'hide', item: `f${i + 1}`, maxConcurrency: 3 },
          args: { path },
        }) as StepInput,
    );
    const { id, handle } = await start({
      class: 'public-leak',
      severity: 'S2',
      title: 'cancel after a fan-out',
      steps: [...items, { id: 'gated', action: 'runCommand', approval: { required: true, identity: 'asserted' }, args: { argv: ['true'] } }],
    });
    await until(id, 'the gate', (p) => p.state === 'awaiting-approval');
    for (const f of files) assert.ok(!existsSync(f) || !readFileSync(f, 'utf8').startsWith('content of'), `${f} is quarantined`);
    await cancelIncident(env.client, id);
    await assert.rejects(handle.result());
    const p = await getProgress(env.client, id);
    assert.equal(p.state, 'cancelled');
    const finished = p.timeline.filter((e) => e.kind === 'step-succeeded' && e.step?.startsWith('hide[')).map((e) => e.step);
    assert.deepEqual(
      (p.undo ?? []).map((u) => [u.step, u.status]),
      [...finished].reverse().map((s) => [s, 'succeeded']),
    );
    for (const f of files) assert.equal(readFileSync(f, 'utf8'), `content of ${f}\n`, `${f} is back`);
  });

  it('the run-time guard checks each member against what finished before the group', async () => {
    const dir = tempDir('tourniquet-parallel-guard-');
    const file = join(dir, 'workspace.txt');
    const marker = join(dir, 'changed');
    writeFileSync(file, 'as found\n');
    const group = { id: 'capture-and-change' };
    // Compiled by hand, past the compiler's refusal: the workflow must refuse it too.
    const { handle } = await start({
      class: 'destructive-action',
      severity: 'S2',
      title: 'a change beside its capture',
      playbook: { name: 'hand-made' },
      steps: [
        { id: 'capture', action: 'captureEvidence', group, effects: { captures: ['workspace'] }, args: { files: [file] } },
        { id: 'change', action: 'runCommand', group, effects: { changes: ['workspace'] }, args: { argv: ['touch', marker] } },
      ],
    });
    await assert.rejects(handle.result());
    const p = await getProgress(env.client, (await handle.describe()).workflowId);
    assert.equal(p.state, 'failed');
    const change = p.steps.find((s) => s.id === 'change')!;
    assert.equal(change.status, 'failed');
    assert.match(
      change.error ?? '',
      /rule 2 \(evidence before destruction\): step "change" would change "workspace" but no capture or snapshot of it has succeeded/,
    );
    assert.ok(!existsSync(marker), 'the change never ran');
  });

  it('one approval releases every item of a fan-out gated once', async () => {
    const dir = tempDir('tourniquet-parallel-gate-');
    const runs = join(dir, 'runs');
    const item = (n: number): StepInput =>
      ({
        id: `run[i${n}]`,
        action: 'runCommand',
        fanOut: { step: 'run', item: `i${n}`, maxConcurrency: 3, gate: 'once' },
        // The compiler puts a once-gate on the first item only.
        ...(n === 1 ? { approval: { required: true, identity: 'asserted' } } : {}),
        args: { argv: ['sh', '-c', `echo i${n} >> ${runs}`] },
      }) as StepInput;
    const { id, handle } = await start({ class: 'runaway-automation', severity: 'S2', title: 'one gate for three items', steps: [item(1), item(2), item(3)] });
    const waiting = await until(id, 'the gate', (p) => p.state === 'awaiting-approval');
    assert.deepEqual(
      waiting.pendingApprovals.map((a) => a.step),
      ['run[i1]'],
      'one decision asked for',
    );
    assert.ok(!existsSync(runs), 'no item ran before the decision');
    await approve(env.client, id, { step: 'run[i1]', by: 'alice' });
    const result = (await handle.result()) as IncidentProgress;
    assert.deepEqual(
      result.steps.map((s) => s.status),
      ['succeeded', 'succeeded', 'succeeded'],
    );
    assert.deepEqual(readFileSync(runs, 'utf8').trim().split('\n').sort(), ['i1', 'i2', 'i3']);
  });
});
