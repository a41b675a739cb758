/**
 * A worker SIGKILLed in the middle of an OpenClaw incident: the `openclaw-secret-exposure`
 * playbook against a real gateway, with the worker as a process of its own (`tourniquet
 * worker`). The kill lands inside the token rotation, after the gateway took the new token
 * and before the step proved it: the worker reaches the gateway through a loopback proxy that
 * holds the first `/tools/invoke` request sent after the config changed (the rotation's own
 * proof), and the test kills the worker while that request is held. A new worker finishes the
 * incident.
 *
 * Asserted on the world: one rotation in effect (the old token refused, the token in force
 * accepted and the one the result reports, no third token ever written to the config or its
 * backups, one hot reload of the token in the gateway's log), one announcement, one published
 * evidence folder that matches its manifest, and neither token in the history, the workers'
 * log, the evidence or the note.
 *
 * One gateway for the file. TOURNIQUET_SKIP_OPENCLAW=1 skips it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toolsInvoke, toolsInvokeStatus } from '../../activities/openclaw';
import { verifyEvidence } from '../../activities';
import { approve, recordControl } from '../../client/incidents';
import { fingerprint } from '../../common/hash';
import { holdProxy, type HoldProxy } from '../helpers/hold-proxy';
import { currentToken, driveIncident, filesUnder, MINUTE, skipOpenClaw, startClawWorld, type ClawWorld } from '../helpers/openclaw';
import { startDraft } from '../helpers/start';
import { waitFor } from '../helpers/temporal';
import { workerProcesses, type WorkerProcesses } from '../helpers/worker-process';

/** Every `gateway.auth.token` value in the config and its rolling backups. */
function tokensOnDisk(configPath: string): Set<string> {
  const dir = dirname(configPath);
  const files = readdirSync(dir).filter((n) => /^openclaw\.json(\.bak(\.\d+)?|\.last-good)?$/.test(n));
  return new Set(files.map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8'))?.gateway?.auth?.token as string).filter(Boolean));
}

describe('a worker SIGKILLed inside the token rotation of an OpenClaw incident', { skip: skipOpenClaw, timeout: 15 * MINUTE }, () => {
  let world: ClawWorld;
  let proxy: HoldProxy;
  let workers: WorkerProcesses;
  let armed = true;

  before(
    async () => {
      world = await startClawWorld({ worker: false });
      const leaked = world.gateway.token;
      const rotated = () => {
        try {
          return currentToken(world.gateway) !== leaked;
        } catch {
          return false; // the gateway is writing the file right now
        }
      };
      proxy = await holdProxy(world.gateway.port, (head) => armed && head.startsWith('POST /tools/invoke ') && rotated());
      // The incident reaches the gateway only through the proxy.
      world.inventory.openclaw!.claw!.port = proxy.port;
      workers = workerProcesses({ address: world.env.address, home: world.home, taskQueue: world.taskQueue, logFile: world.logFile });
    },
    { timeout: 10 * MINUTE },
  );
  after(async () => {
    await workers?.killAll();
    await proxy?.close();
    await world?.stop();
  });

  it('completes, with the token rotated once and every other effect once', { timeout: 12 * MINUTE }, async () => {
    const leaked = world.gateway.token;
    writeFileSync(join(world.gateway.workspaceDir, 'NOTES.md'), `# Notes\n\n- gateway token for the deploy bot: ${leaked}\n`);
    assert.equal(await toolsInvokeStatus(world.gateway.url, leaked), 200, 'the leaked token works before the incident');

    const first = workers.start();
    const held = proxy.nextHold();
    const { id, handle } = await startDraft(world.env.client, world.compile('openclaw-secret-exposure', 'live'), { taskQueue: world.taskQueue });
    await waitFor('the rotation to write the new token and ask for its proof', () => held.then(() => true), 5 * MINUTE);
    // The gateway holds the new token; the step has not proved (or recorded) it yet.
    const writtenByFirstAttempt = currentToken(world.gateway);
    assert.notEqual(writtenByFirstAttempt, leaked);
    await workers.kill(first);
    armed = false;
    workers.start();

    await driveIncident(
      world,
      id,
      'the incident to wait for its durable control',
      (p) => p.state === 'awaiting-control',
      (step) => approve(world.env.client, id, { step, by: 'alice' }),
    );
    await recordControl(world.env.client, id, { kind: 'rotated-credential', note: 'gateway token moved to a SecretRef', by: 'alice' });
    const result = await handle.result();
    assert.equal(result.state, 'resolved', JSON.stringify(result.steps, null, 2));
    const step = (sid: string) => result.steps.find((s) => s.id === sid)!;
    assert.equal(proxy.held(), 1, 'exactly one request was held: the first attempt’s proof');

    // The rotation was interrupted and retried, and the retry found its own write instead of rotating again.
    const rotation = step('rotate-token');
    assert.ok(rotation.attempts >= 2, `rotate-token attempts: ${rotation.attempts}`);
    assert.match(String(rotation.summary), /by an earlier attempt/);
    const inForce = currentToken(world.gateway);
    assert.equal(inForce, writtenByFirstAttempt, 'the token in force is the one the interrupted attempt wrote');
    assert.equal(await toolsInvokeStatus(world.gateway.url, leaked), 401, 'the leaked token is refused');
    const accepted = await toolsInvoke(world.gateway.url, inForce);
    assert.equal(accepted.status, 200, `the token in force is accepted: ${accepted.body}`);
    assert.equal(rotation.result?.newFingerprint, fingerprint(inForce), 'the result reports the token in force');
    assert.equal(rotation.result?.oldFingerprint, fingerprint(leaked));
    // No third token was ever written: the config and every rolling backup hold one of the two.
    assert.deepEqual([...tokensOnDisk(world.gateway.configPath)].map(fingerprint).sort(), [fingerprint(leaked), fingerprint(inForce)].sort());
    const reloads = readFileSync(world.gateway.logPath, 'utf8')
      .split('\n')
      .filter((l) => /hot reload applied/.test(l) && l.includes('gateway.auth.token'));
    assert.equal(reloads.length, 1, `the gateway applied one token change:\n${reloads.join('\n')}`);

    // Every other effect once: one announcement, one evidence folder that matches its manifest.
    const log = readFileSync(world.logFile, 'utf8');
    const announcements = log.split('\n').filter((l) => l.includes('"msg":"status update"'));
    assert.equal(announcements.length, 1, announcements.join('\n'));
    const evidence = String(step('capture-evidence').result?.folder);
    assert.deepEqual(await verifyEvidence(evidence), []);
    const published = readdirSync(dirname(evidence)).filter((n) => !n.startsWith('.'));
    assert.deepEqual(published, ['capture-evidence'], 'one published evidence folder');
    assert.equal(step('scan-for-old-value').status, 'succeeded');
    assert.equal(step('smoke').status, 'succeeded');

    // Neither token anywhere the incident wrote (history payloads decoded: protobuf's JSON renders them base64).
    const history = JSON.stringify(await handle.fetchHistory(), (key, v: unknown) =>
      key === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v,
    );
    assert.ok(history.includes(fingerprint(leaked)), 'the decoded history is readable (it holds the fingerprint)');
    const note = readFileSync(String(result.steps.at(-1)!.result?.path), 'utf8');
    const places: [string, string][] = [
      ['history', history],
      ['workers’ log', log],
      ['note', note],
      ...filesUnder(evidence).map((f): [string, string] => [f, readFileSync(f, 'latin1')]),
    ];
    assert.ok(log.includes('by an earlier attempt'), 'the workers’ log is the one the steps wrote to');
    for (const [where, text] of places) {
      assert.ok(!text.includes(leaked), `the leaked token is in ${where}`);
      assert.ok(!text.includes(inForce), `the new token is in ${where}`);
    }
  });
});
