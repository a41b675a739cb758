/**
 * A real worker process (`tourniquet worker`) is SIGKILLed in the middle of a fan-out of
 * revocations, with two items in flight at a local revocation API. A new worker finishes the
 * fan-out: every credential is revoked once, the items in flight at the crash are sent again
 * (and find their credential already gone), the others once, and never more than the limit
 * is in flight, across the crash too.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { getProgress } from '../../client/incidents';
import { PROJECT_ROOT } from '../../common/paths';
import type { IncidentProgress, StepInput } from '../../contract';
import { tempDir } from '../helpers/activity';
import { revoker, type Revoker } from '../helpers/revoker';
import { startTestServer, waitFor, type TestServer } from '../helpers/temporal';
import { startDraft } from '../helpers/start';

let env: TestServer;
let api: Revoker;
const home = tempDir('tourniquet-fan-crash-home-');
const taskQueue = `fan-crash-${randomUUID()}`;
const workers: ChildProcess[] = [];

function startWorkerProcess(): ChildProcess {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'tourniquet.js'), 'worker'], {
    env: { ...process.env, TEMPORAL_ADDRESS: env.address, TOURNIQUET_HOME: home, TOURNIQUET_TASK_QUEUE: taskQueue, LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  workers.push(child);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

before(async () => {
  env = await startTestServer();
  api = await revoker({ holdMs: 3_000 });
});

after(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  api.close();
  await env.stop();
});

it('a worker killed mid fan-out: a new worker finishes it, each credential revoked once', async () => {
  const envFile = join(tempDir('tourniquet-fan-crash-creds-'), 'agent.env');
  const keys = ['k1', 'k2', 'k3', 'k4'];
  writeFileSync(envFile, keys.map((k, i) => `${k.toUpperCase()}=tok${i + 1}\n`).join(''), { mode: 0o600 });
  const steps = keys.map(
    (k) =>
      ({
        id: `rotate[${k}]`,
        action: 'rotateKey',
        // A dead worker is noticed within the heartbeat timeout, and its item retried soon after.
        timeouts: { heartbeat: '2s' },
        retry: { initialInterval: '200ms' },
        fanOut: { step: 'rotate', item: k, maxConcurrency: 2 },
        args: { method: 'http-revoke', url: api.url, credential: { envFile, key: k.toUpperCase() } },
      }) as StepInput,
  );
  let worker = startWorkerProcess();
  const { id, handle } = await startDraft(env.client, { class: 'secret-exposure', severity: 'S1', title: 'crash mid fan-out', steps }, { taskQueue });

  await waitFor('two revocations in flight', async () => (api.inFlight() === 2 ? true : undefined), 60_000);
  const inFlightAtCrash = (await getProgress(env.client, id)).steps.filter((s) => s.status === 'running').map((s) => s.id);
  await kill(worker);
  worker = startWorkerProcess();

  const result = (await handle.result()) as IncidentProgress;
  assert.equal(result.state, 'resolved', JSON.stringify(result.steps, null, 2));
  assert.deepEqual(inFlightAtCrash, ['rotate[k1]', 'rotate[k2]'], 'the first two items were running when the worker died');
  const sent = (token: string) => api.requests.filter((r) => r.token === token).map((r) => r.status);
  // The items in flight at the crash: revoked by the first request, confirmed "already gone" by the retry.
  assert.deepEqual(sent('tok1'), [200, 404]);
  assert.deepEqual(sent('tok2'), [200, 404]);
  // The items after the crash: once each.
  assert.deepEqual(sent('tok3'), [200]);
  assert.deepEqual(sent('tok4'), [200]);
  assert.deepEqual([...api.revoked].sort(), ['tok1', 'tok2', 'tok3', 'tok4']);
  assert.equal(api.maxInFlight(), 2, 'never more than maxConcurrency in flight, across the crash');
  for (const k of ['k1', 'k2']) assert.ok(result.steps.find((s) => s.id === `rotate[${k}]`)!.attempts >= 2, `${k} was retried`);
});
