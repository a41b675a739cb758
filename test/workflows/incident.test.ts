/**
 * The incident workflow on a real Temporal dev server, driven through its signals and query.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { isAlive, readPidfile } from '../../activities/process';
import { createSandbox, gatewayStarts, secretExposureIncident, stopGateway } from '../../demo/sandbox';
import { approve, deny, getProgress } from '../../client/incidents';
import { Problem } from '../../common/errors';
import { approveSignal, denySignal, WORKFLOW_TYPE, type IncidentInputDraft, type IncidentProgress } from '../../contract';
import { tempDir } from '../helpers/activity';
import { fileState } from '../helpers/sandbox';
import { startTestStack, untilProgress, type TestServer, type TestStack } from '../helpers/temporal';
import { failingLocalFreeze } from '../helpers/incidents';
import { startDraft } from '../helpers/start';

let env: TestServer;
let stack: TestStack;
const homeOf = tempDir('tourniquet-home-');
const taskQueue = `test-${randomUUID()}`;

before(async () => {
  stack = await startTestStack({ taskQueue, home: homeOf });
  ({ env } = stack);
});

after(() => stack?.stop());

const start = (draft: IncidentInputDraft) => startDraft(env.client, draft, { taskQueue });

const until = (id: string, what: string, check: (p: IncidentProgress) => boolean) => untilProgress(env.client, id, what, check);

function gatedIncident(onDeny: 'abort' | 'skip' = 'abort'): IncidentInputDraft {
  return {
    class: 'runaway-automation',
    severity: 'S2',
    title: 'cron job sending the same message',
    targets: ['mailer'],
    steps: [
      { id: 'first', action: 'runCommand', args: { argv: ['true'] } },
      { id: 'gated', action: 'runCommand', approval: { required: true, onDeny }, args: { argv: ['true'] } },
      { id: 'last', action: 'runCommand', args: { argv: ['true'] } },
    ],
  };
}

async function failureOf(result: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await result;
  } catch (err) {
    assert.ok(err instanceof WorkflowFailedError, String(err));
    assert.ok(err.cause instanceof ApplicationFailure, String(err.cause));
    return err.cause;
  }
  assert.fail('the incident was expected to fail');
}

describe('incident workflow on a real Temporal server', () => {
  it('waits at the gate, records ignored signals, and goes on when approved', async () => {
    const { id, handle } = await start(gatedIncident());
    assert.match(id, /^inc-\d{8}-runaway-automation-[0-9a-f]{12}$/);
    const waiting = await until(id, 'the approval gate', (p) => p.state === 'awaiting-approval');
    assert.deepEqual(
      waiting.pendingApprovals.map((a) => a.step),
      ['gated'],
    );
    assert.equal(waiting.steps[0]!.status, 'succeeded');
    assert.equal(waiting.steps[1]!.status, 'awaiting-approval');
    assert.equal(waiting.steps[2]!.status, 'pending');

    // Straight signals (as the Temporal UI sends them) that cannot apply are recorded, not fatal.
    await handle.signal(approveSignal, { step: 'nope', by: 'mallory' });
    await handle.signal(approveSignal, { step: 'first', by: 'mallory' });
    await handle.signal(approveSignal, { by: 'mallory' } as never);
    const ignored = await until(id, 'ignored signals', (p) => p.timeline.filter((e) => e.kind === 'signal-ignored').length === 3);
    assert.equal(ignored.state, 'awaiting-approval');

    // The `decide` update refuses what the signal would ignore, and says why to the caller.
    await assert.rejects(
      approve(env.client, id, { step: 'nope', by: 'alice' }),
      (e: Problem) => e.kind === 'UnknownStep' && /no step "nope" \(steps: first, gated, last\)/.test(e.message),
    );
    await assert.rejects(
      approve(env.client, id, { step: 'first', by: 'alice' }),
      (e: Problem) => e.kind === 'UnknownStep' && /step "first" is not waiting for approval \(it is succeeded\); waiting: gated/.test(e.message),
    );
    await assert.rejects(approve(env.client, 'inc-missing', { step: 'gated', by: 'alice' }), (e: Problem) => e.kind === 'UnknownIncident');

    await approve(env.client, id, { step: 'gated', by: 'alice', comment: 'looks right' });
    const result = await handle.result();
    assert.equal(result.state, 'resolved');
    assert.equal(result.phase, 'closed');
    assert.ok(result.steps.every((s) => s.status === 'succeeded' && s.attempts === 1));
    const approval = result.timeline.find((e) => e.kind === 'approved')!;
    assert.equal(approval.by, 'alice');
    assert.match(approval.message, /looks right/);
    assert.ok(result.endedAt);
  });

  it('deny with onDeny=abort fails the incident as aborted and runs nothing after', async () => {
    const { id, handle } = await start(gatedIncident('abort'));
    await until(id, 'the approval gate', (p) => p.state === 'awaiting-approval');
    await deny(env.client, id, { step: 'gated', by: 'bob', reason: 'wrong host' });
    const failure = await failureOf(handle.result());
    assert.equal(failure.type, 'IncidentAborted');
    assert.match(failure.message, /denied by bob: wrong host/);
    const p = await getProgress(env.client, id);
    assert.equal(p.state, 'aborted');
    assert.deepEqual(
      p.steps.map((s) => s.status),
      ['succeeded', 'awaiting-approval', 'pending'],
    );
  });

  it('deny with onDeny=skip skips the step and goes on', async () => {
    const { id, handle } = await start(gatedIncident('skip'));
    await until(id, 'the approval gate', (p) => p.state === 'awaiting-approval');
    await handle.signal(denySignal, { step: 'gated', by: 'bob', reason: 'not needed' });
    const result = await handle.result();
    assert.equal(result.state, 'resolved');
    assert.deepEqual(
      result.steps.map((s) => s.status),
      ['succeeded', 'skipped', 'succeeded'],
    );
  });

  it('reports the phase of every step while the incident runs', async () => {
    const dir = tempDir('tourniquet-phases-');
    mkdirSync(join(dir, 'ws'));
    writeFileSync(join(dir, 'ws', 'a.txt'), 'a');
    writeFileSync(join(dir, '.env'), 'KEY=abc\n');
    const gate = { required: true, onDeny: 'abort', identity: 'asserted' } as const;
    const { id, handle } = await start({
      class: 'destructive-action',
      severity: 'S1',
      title: 'phases',
      steps: [
        { id: 'freeze', action: 'runCommand', phase: 'freeze', approval: gate, args: { argv: ['true'] } },
        { id: 'preserve', action: 'snapshotDisk', approval: gate, args: { target: join(dir, 'ws') } },
        { id: 'classify', action: 'runCommand', phase: 'classify', approval: gate, args: { argv: ['true'] } },
        { id: 'contain', action: 'rotateKey', approval: gate, args: { envFile: join(dir, '.env'), key: 'KEY' } },
        { id: 'recover', action: 'runCommand', phase: 'recover', approval: gate, args: { argv: ['true'] } },
        { id: 'verify', action: 'runCommand', phase: 'verify', approval: gate, args: { argv: ['true'] } },
        { id: 'learn', action: 'runCommand', phase: 'learn', approval: gate, args: { argv: ['true'] } },
      ],
    });
    const seen: string[] = [];
    for (const step of ['freeze', 'preserve', 'classify', 'contain', 'recover', 'verify', 'learn']) {
      const p = await until(id, `gate ${step}`, (q) => q.pendingApprovals[0]?.step === step);
      seen.push(String(p.phase));
      await approve(env.client, id, { step, by: 'carol' });
    }
    assert.deepEqual(seen, ['freeze', 'preserve', 'classify', 'contain', 'recover', 'verify', 'learn']);
    assert.equal((await handle.result()).phase, 'closed');
  });

  it('a failing step aborts the incident after its retries, with its error and attempts', async () => {
    const { id, handle } = await start({
      class: 'service-outage',
      severity: 'S2',
      title: 'failing step',
      steps: [
        { id: 'flaky', action: 'runCommand', retry: { maximumAttempts: 2, initialInterval: '100ms' }, args: { argv: ['false'] } },
        { id: 'never', action: 'runCommand', args: { argv: ['true'] } },
      ],
    });
    const failure = await failureOf(handle.result());
    assert.equal(failure.type, 'IncidentFailed');
    const p = await getProgress(env.client, id);
    assert.equal(p.state, 'failed');
    assert.equal(p.steps[0]!.status, 'failed');
    assert.equal(p.steps[0]!.attempts, 2);
    assert.match(p.steps[0]!.error!, /^CommandFailed: false exited 1/);
    assert.equal(p.steps[1]!.status, 'pending');
  });

  it('a freeze step failing as a local activity fails the incident with its record, and the closed incident says so', async () => {
    const { id, handle } = await start(failingLocalFreeze('failing local step'));
    const failure = await failureOf(handle.result());
    assert.equal(failure.type, 'IncidentFailed');
    const { events } = await handle.fetchHistory();
    const markers = events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
    assert.equal(markers, 1, 'the step ran as a local activity');
    // The query of the closed incident replays its whole history on a worker.
    const p = await getProgress(env.client, id);
    assert.equal(p.state, 'failed');
    assert.equal(p.steps[0]!.status, 'failed');
    assert.equal(p.steps[0]!.attempts, 2);
    assert.match(p.steps[0]!.error!, /^CommandFailed: false exited 1/);
    assert.equal(p.steps[1]!.status, 'pending');
  });

  it('a non-retryable refusal fails at once: restore without a snapshot', async () => {
    const dir = tempDir('tourniquet-restore-');
    const { id, handle } = await start({
      class: 'destructive-action',
      severity: 'S1',
      title: 'restore first',
      steps: [{ id: 'restore', action: 'restoreBackup', args: { target: dir, archive: join(dir, 'b.tgz') } }],
    });
    await failureOf(handle.result());
    const step = (await getProgress(env.client, id)).steps[0]!;
    assert.equal(step.attempts, 1);
    assert.match(step.error!, /^UnsafeActionRefused: restore of .* refused/);
  });

  it('refuses bad input before starting, and the workflow refuses it too', async () => {
    await assert.rejects(start({ ...gatedIncident(), severity: 'S7' as never }), (e: Problem) => e.kind === 'InvalidInput' && /severity/.test(e.message));
    const handle = await env.client.workflow.start(WORKFLOW_TYPE, { taskQueue, workflowId: `raw-${randomUUID()}`, args: [{ class: 'nope' }] });
    const failure = await failureOf(handle.result());
    assert.equal(failure.type, 'InvalidIncidentInput');
    assert.match(failure.message, /class: /);
  });

  it('refuses a second start under an id already used, loudly', async () => {
    const { id, handle } = await start(gatedIncident());
    await assert.rejects(startDraft(env.client, gatedIncident(), { taskQueue, id }), (e: Problem) => e.kind === 'IncidentExists' && e.message.includes(id));
    await handle.terminate('test done');
    await assert.rejects(startDraft(env.client, gatedIncident(), { taskQueue, id }), (e: Problem) => e.kind === 'IncidentExists');
  });

  it('a drill runs every step in plan mode: each says what it would do, nothing changes', async () => {
    const sb = await createSandbox(tempDir('tourniquet-drill-'));
    try {
      const before = fileState(sb);
      const pid = readPidfile(sb.pidfile)!;
      const { id, handle } = await start({ ...secretExposureIncident(sb), mode: 'drill' });
      // A drill does not wait at gates: it says it would have.
      const result = await handle.result();
      assert.ok(result.timeline.some((e) => e.kind === 'drill-note' && e.step === 'restart-gateway'));
      assert.equal(result.mode, 'drill');
      assert.equal(result.state, 'resolved');
      for (const step of result.steps) assert.equal(step.result?.plan, true, step.id);
      const stop = result.steps.find((s) => s.id === 'stop-gateway')!;
      assert.match(stop.summary!, new RegExp(`would send SIGTERM to gateway \\(pid ${pid}`));
      assert.match(result.steps.find((s) => s.id === 'rotate-api-key')!.summary!, /would replace AGENT_API_KEY \(now sha256:[0-9a-f]{16}\) in /);
      assert.match(result.steps.find((s) => s.id === 'capture-evidence')!.summary!, /would copy .*gateway\.log/);
      // Checked, not assumed: same process, same files, no evidence or snapshot written.
      assert.ok(isAlive(pid), 'the gateway still runs');
      assert.equal(readPidfile(sb.pidfile), pid);
      assert.deepEqual(fileState(sb), before);
      assert.equal(gatewayStarts(sb).length, 1);
      assert.equal(existsSync(join(homeOf, 'incidents', id)), false, 'no incident state written');
    } finally {
      await stopGateway(sb);
    }
  });

  it('registers the signal and query names with descriptions for the UI', async () => {
    const { id, handle } = await start(gatedIncident());
    await until(id, 'the gate', (p) => p.state === 'awaiting-approval');
    const raw = await env.client.workflowService.queryWorkflow({
      namespace: 'default',
      execution: { workflowId: id },
      query: { queryType: '__temporal_workflow_metadata' },
    });
    const payload = raw.queryResult?.payloads?.[0];
    const metadata = JSON.parse(Buffer.from(payload!.data!).toString()) as {
      definition: { signalDefinitions: { name: string; description?: string }[]; queryDefinitions: { name: string; description?: string }[] };
    };
    const signals = Object.fromEntries(metadata.definition.signalDefinitions.map((s) => [s.name, s.description]));
    const queries = Object.fromEntries(metadata.definition.queryDefinitions.map((q) => [q.name, q.description]));
    assert.match(signals.approve!, /"step"/);
    assert.match(signals.deny!, /"reason"/);
    assert.match(queries.progress!, /pending approvals/);
    assert.match(signals.pause!, /no new step starts/);
    assert.match(signals.resume!, /"by"/);
    const updates = Object.fromEntries(
      (metadata.definition as unknown as { updateDefinitions: { name: string; description?: string }[] }).updateDefinitions.map((u) => [u.name, u.description]),
    );
    assert.match(updates.decide!, /Rejected, with the reason/);
    await approve(env.client, id, { step: 'gated', by: 'alice' });
    await handle.result();
  });
});
