/**
 * A gateway pause held past its lease: `openclawPause` suspends a real OpenClaw gateway with
 * its fixed ~120 s lease (the gateway has no shorter one), and the incident renews it. Past the
 * first lease's expiry the gateway still drains (`/readyz` says `gateway-draining`,
 * `/tools/invoke` 503). A renewal that cannot reach the gateway (a loopback proxy holds its
 * WebSocket handshake) is in the timeline and the step's result, and the next one recovers
 * before the lease runs out. Cancelling the incident stops the renewals first, then its undo
 * resumes the gateway, and it stays resumed.
 *
 * One gateway for the file. TOURNIQUET_SKIP_OPENCLAW=1 skips it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { readiness, toolsInvokeStatus } from '../../activities/openclaw';
import { getProgress } from '../../client/incidents';
import type { IncidentProgress } from '../../contract';
import { holdProxy, type HoldProxy } from '../helpers/hold-proxy';
import { MINUTE, skipOpenClaw, startClawWorld, type ClawWorld } from '../helpers/openclaw';
import { startDraft } from '../helpers/start';
import { waitFor } from '../helpers/temporal';

describe('a gateway pause renewed while the incident needs it', { skip: skipOpenClaw, timeout: 15 * MINUTE }, () => {
  let world: ClawWorld;
  let proxy: HoldProxy;
  let blockHandshakes = false;

  before(
    async () => {
      world = await startClawWorld();
      proxy = await holdProxy(world.gateway.port, (head) => blockHandshakes && /^GET /.test(head) && /^upgrade:\s*websocket/im.test(head));
      // The incident reaches the gateway through the proxy, so the test can cut it off.
      world.inventory.openclaw!.claw!.port = proxy.port;
    },
    { timeout: 10 * MINUTE },
  );
  after(async () => {
    await proxy?.close();
    await world?.stop();
  });

  it('drains past the first lease, reports a failed renewal, and resumes on cancel', { timeout: 12 * MINUTE }, async () => {
    const token = world.gateway.token;
    const gateway = world.compile('openclaw-secret-exposure', 'drill').steps.find((s) => s.action === 'openclawRotateToken')!.args;
    const { id, handle } = await startDraft(
      world.env.client,
      {
        class: 'runaway-automation',
        severity: 'S2',
        title: 'hold the gateway while we look',
        steps: [
          { id: 'pause', action: 'openclawPause', args: gateway },
          { id: 'hold', action: 'runCommand', approval: { required: true }, args: { argv: ['true'] } },
        ],
      },
      { taskQueue: world.taskQueue },
    );
    const progress = (what: string, check: (p: IncidentProgress) => boolean, timeoutMs = 3 * MINUTE) =>
      waitFor(
        what,
        async () => {
          const p = await getProgress(world.env.client, id);
          return check(p) ? p : undefined;
        },
        timeoutMs,
      );
    const paused = await progress('the pause', (p) => p.state === 'awaiting-approval');
    const firstExpiry = Number(paused.steps.find((s) => s.id === 'pause')!.result?.expiresAtMs);
    assert.ok(firstExpiry > Date.now(), `the first lease runs until ${new Date(firstExpiry).toISOString()}`);
    assert.deepEqual((await readiness(world.gateway.url)).failing, ['gateway-draining']);

    // Past the first lease's end: still suspended, because the incident renewed it.
    await new Promise((r) => setTimeout(r, firstExpiry - Date.now() + 10_000));
    assert.deepEqual((await readiness(world.gateway.url)).failing, ['gateway-draining'], 'suspended after the first lease ran out');
    assert.equal(await toolsInvokeStatus(world.gateway.url, token), 503);
    const renewed = (await getProgress(world.env.client, id)).steps.find((s) => s.id === 'pause')!.result!;
    assert.ok(Number(renewed.renewals) >= 1, `renewals: ${renewed.renewals}`);
    assert.ok(Number(renewed.expiresAtMs) > firstExpiry + 30_000, `the lease now runs until ${new Date(Number(renewed.expiresAtMs)).toISOString()}`);

    // The gateway out of reach for the next renewal: the failure shows, and the pause holds on the current lease.
    blockHandshakes = true;
    const failed = await progress('a failed renewal', (p) => p.timeline.some((e) => e.kind === 'pause-renewal-failed'));
    blockHandshakes = false;
    assert.ok(proxy.held() >= 1, 'the renewal’s handshake was held');
    assert.match(String(failed.steps.find((s) => s.id === 'pause')!.result?.renewalError), /handshake|hello|time/i);
    assert.ok(!failed.timeline.some((e) => e.kind === 'pause-lapsed'), 'the lease had not run out yet');
    const recovered = await progress('the next renewal', (p) => p.timeline.some((e) => e.kind === 'pause-renewed'));
    assert.equal(recovered.steps.find((s) => s.id === 'pause')!.result?.renewalError, undefined);
    assert.ok(!recovered.timeline.some((e) => e.kind === 'pause-lapsed'), 'renewed before the lease ran out');
    assert.deepEqual((await readiness(world.gateway.url)).failing, ['gateway-draining']);

    await handle.cancel();
    await assert.rejects(handle.result());
    const cancelled = await getProgress(world.env.client, id);
    const kinds = cancelled.timeline.map((e) => e.kind);
    assert.ok(kinds.includes('pause-released') && kinds.indexOf('pause-released') < kinds.indexOf('undo-started'), kinds.join(', '));
    assert.deepEqual(
      cancelled.undo?.map((u) => [u.step, u.status]),
      [['pause', 'succeeded']],
    );
    assert.equal((await readiness(world.gateway.url)).httpStatus, 200, 'the undo resumed the gateway');
    assert.equal(await toolsInvokeStatus(world.gateway.url, token), 200);
    // No renewal was left to suspend it again.
    await new Promise((r) => setTimeout(r, 5_000));
    assert.equal((await readiness(world.gateway.url)).httpStatus, 200, 'still resumed');
    assert.ok(readFileSync(world.logFile, 'utf8').includes('"msg":"pause renewed"'), 'the worker logged its renewals');
  });
});
