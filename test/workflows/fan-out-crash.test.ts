/**
 * A real worker process (`tourniquet worker`) is SIGKILLed in the middle of a fan-out of
 * revocations, with two items in flight at a local revocation API. A new worker finishes the
 * fan-out: every credential is revoked once, the items in flight at the crash are sent again
 * (and find their credential already gone), the others once, and never more than the limit
 * is in flight, across the crash too.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { getProgress } from '../../client/incidents';
import type { IncidentProgress, StepInput } from '../../contract';
import { tempDir } from '../helpers/activity';
import { revoker, type Revoker } from '../helpers/revoker';
import { startTestServer, waitFor, type TestServer } from '../helpers/temporal';
import { startDraft } from '../helpers/start';
import { workerProcesses, type WorkerProcesses } from '../helpers/worker-process';

let env: TestServer;
let api: Revoker;
const home = tempDir('tourniquet-fan-crash-home-');
const taskQueue = `fan-crash-${randomUUID()}`;
let workers: WorkerProcesses;

before(async () => {
  env = await startTestServer();
  workers = workerProcesses({ address: env.address, home, taskQueue });
  api = await revoker({ holdMs: 3_000 });
});

after(async () => {
  await workers?.killAll();
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
  let worker = workers.start();
  const { id, handle } = await startDraft(env.client, { class: 'secret-exposure', severity: 'S1', title: 'crash mid fan-out', steps }, { taskQueue });

  await waitFor('two revocations in flight', async () => (api.inFlight() === 2 ? true : undefined), 60_000);
  const inFlightAtCrash = (await getProgress(env.client, id)).steps.filter((s) => s.status === 'running').map((s) => s.id);
  await workers.kill(worker);
  worker = workers.start();

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
