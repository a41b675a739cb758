/**
 * The renewal of a gateway pause's lease (workflows/leases.ts) at its real cadence, on
 * Temporal's time-skipping test server with stubbed activities: renewed before each expiry
 * while the incident needs it, released before a step that stops the gateway, failures and a
 * lapse recorded in the timeline, and the undo of a cancelled incident resuming the suspension
 * in force (not the first one, when a lapse replaced it). The real gateway's side is in
 * test/openclaw/pause.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { createActivities } from '../../activities';
import type { LeaseActivities, RenewPauseInput } from '../../activities/openclaw/lease';
import { inputActivities } from '../../activities/input';
import { approve, parseIncident } from '../../client/incidents';
import {
  ACTION_NAMES,
  ACTIONS,
  progressQuery,
  WORKFLOW_TYPE,
  type IncidentInputDraft,
  type IncidentProgress,
  type StepContext,
  type StepResult,
} from '../../contract';
import { ensureTestServer } from '../../server/test-server';
import { workflowBundle } from '../helpers/temporal';

type Activities = ReturnType<typeof createActivities>;
const LEASE_MS = 120_000;
const gateway = {
  gateway: 'claw',
  stateDir: '/tmp/claw-state',
  configPath: '/tmp/claw-state/openclaw.json',
  port: 18789,
  tokenFrom: { kind: 'config' as const },
  node: '/usr/bin/node',
  openclawEntry: '/tmp/openclaw.mjs',
};

/** What the stubs were asked: step calls (`action:step`), renewals, and the undo's `resume`. */
const calls: string[] = [];
const renewals: RenewPauseInput[] = [];
const resumed: unknown[] = [];
/** How the next renewal answers: the lease renewed, a failure, or a new suspension (after a lapse). */
let renewal: 'renew' | 'fail' | 'new-id' = 'renew';

function stubActivities(): Activities & LeaseActivities {
  const stub =
    (action: string) =>
    async (ctx: StepContext, args: unknown): Promise<StepResult> => {
      calls.push(`${action}:${ctx.stepId}`);
      if (action === 'openclawPause')
        return {
          summary: 'suspended (stub)',
          data: {
            suspensionId: 's1',
            expiresAtMs: Date.now() + LEASE_MS,
            leaseLeftMs: LEASE_MS,
            undo: { action: 'openclawUndo', args: { ...gateway, resume: 's1' } },
          },
        };
      if (action === 'openclawUndo') resumed.push((args as { resume?: unknown }).resume);
      return { summary: `${action} (stub)` };
    };
  const entries = ACTION_NAMES.filter((a) => ACTIONS[a].runsIn === 'activity').map((a) => [a, stub(a)]);
  const renewPause: LeaseActivities['renewPause'] = async (input) => {
    renewals.push(input);
    if (renewal === 'fail') throw new Error('no OpenClaw gateway accepted the token (stub)');
    return { suspensionId: renewal === 'new-id' ? 's2' : input.suspensionId, expiresAtMs: Date.now() + LEASE_MS, leftMs: LEASE_MS };
  };
  // The compiler checks the fakes against the real factories' types.
  return { ...(Object.fromEntries(entries) as Activities), renewPause };
}

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = 'leases';
let n = 0;

async function start(steps: IncidentInputDraft['steps']) {
  const input = parseIncident({ class: 'runaway-automation', severity: 'S2', title: 'gateway paused', steps });
  const workflowId = `leases-${++n}`;
  const handle = await env.client.workflow.start(WORKFLOW_TYPE, { taskQueue, workflowId, args: [input] });
  return { id: workflowId, handle, progress: () => handle.query(progressQuery) as Promise<IncidentProgress> };
}

type StepDraft = IncidentInputDraft['steps'][number];
const pause: StepDraft = { id: 'pause', action: 'openclawPause', args: gateway };
const hold: StepDraft = { id: 'hold', action: 'runCommand', approval: { required: true }, args: { argv: ['true'] } };
const kinds = (p: IncidentProgress, prefix = 'pause-') => p.timeline.filter((e) => e.kind.startsWith(prefix)).map((e) => e.kind);

before(async () => {
  const path = await ensureTestServer();
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: { ...stubActivities(), ...inputActivities() },
  });
  running = worker.run();
});

after(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

describe('a gateway pause is renewed while the incident needs it (time-skipping server, stubbed activities)', () => {
  it('renews before each expiry, and stops before a step that stops the gateway', async () => {
    renewal = 'renew';
    renewals.length = 0;
    const { id, handle, progress } = await start([pause, hold, { id: 'stop', action: 'openclawStopGateway', args: gateway }]);
    await env.sleep('10m');
    const waiting = await progress();
    assert.equal(waiting.state, 'awaiting-approval');
    // One renewal when 40 s of each 120 s lease are left: every 80 s, 7 in 10 minutes.
    assert.ok(renewals.length >= 6 && renewals.length <= 8, `${renewals.length} renewals in 10 minutes`);
    assert.ok(
      renewals.every((r) => r.stepId === 'pause' && r.suspensionId === 's1' && r.gateway.gateway === 'claw'),
      JSON.stringify(renewals[0]),
    );
    const step = waiting.steps.find((s) => s.id === 'pause')!;
    assert.equal(step.result?.renewals, renewals.length);
    assert.deepEqual(kinds(waiting), [], 'nothing to report while renewals work');

    await approve(env.client, id, { step: 'hold', by: 'alice' });
    const result = (await handle.result()) as IncidentProgress;
    assert.equal(result.state, 'resolved');
    const timeline = result.timeline.map((e) => `${e.kind}:${e.step ?? ''}`);
    const released = timeline.indexOf('pause-released:pause');
    assert.ok(released >= 0 && released < timeline.indexOf('step-started:stop'), timeline.join('\n'));
    assert.equal(kinds(result).length, 1, 'released once, not again at the close');
    const count = renewals.length;
    await env.sleep('5m');
    assert.equal(renewals.length, count, 'no renewal after the release');
  });

  it('a failing renewal is in the timeline, a lapse too; the undo of a cancelled incident resumes the suspension in force', async () => {
    renewal = 'fail';
    renewals.length = 0;
    resumed.length = 0;
    const { handle, progress } = await start([pause, hold]);
    await env.sleep('4m');
    const failing = await progress();
    assert.deepEqual(kinds(failing), ['pause-renewal-failed', 'pause-lapsed'], 'one entry when renewals start failing, one when the lease ran out');
    assert.match(String(failing.steps.find((s) => s.id === 'pause')!.result?.renewalError), /no OpenClaw gateway accepted the token/);
    assert.match(failing.timeline.find((e) => e.kind === 'pause-renewal-failed')!.message, /runs out at .*retrying until then/);

    renewal = 'new-id';
    await env.sleep('1m');
    const recovered = await progress();
    assert.deepEqual(kinds(recovered), ['pause-renewal-failed', 'pause-lapsed', 'pause-renewed']);
    const step = recovered.steps.find((s) => s.id === 'pause')!;
    assert.equal(step.result?.suspensionId, 's2');
    assert.equal(step.result?.renewalError, undefined);
    renewal = 'renew';
    await env.sleep('3m');
    assert.ok(
      renewals.slice(-2).every((r) => r.suspensionId === 's2'),
      'later renewals renew the new suspension',
    );

    await handle.cancel();
    await assert.rejects(handle.result());
    const cancelled = await progress();
    assert.deepEqual(resumed, ['s2'], 'the undo resumed the suspension in force');
    const timeline = cancelled.timeline.map((e) => e.kind);
    assert.ok(timeline.indexOf('pause-released') < timeline.indexOf('undo-started'), timeline.join(', '));
    assert.deepEqual(
      cancelled.undo?.map((u) => [u.step, u.status]),
      [['pause', 'succeeded']],
    );
  });
});
