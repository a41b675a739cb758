/**
 * The fast layer: the incident workflow on Temporal's time-skipping test server, with stubbed
 * activities, so timers run at their real durations (a 30-minute approval timeout, a 15-minute
 * status cadence) in a moment. The real-server suites beside this one run the same workflow
 * against real activities; this one is only about time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { createActivities } from '../../activities';
import { inputActivities } from '../../activities/input';
import { parseIncident } from '../../client/incidents';
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
import { gated } from '../helpers/incidents';

type Activities = ReturnType<typeof createActivities>;

/** Every activity the workflow can call, each recording its call and succeeding at once. */
function stubActivities(calls: string[]): Activities {
  const stub =
    (action: string) =>
    async (ctx: StepContext): Promise<StepResult> => {
      calls.push(`${action}:${ctx.stepId}`);
      return { summary: `${action} (stub)` };
    };
  const entries = ACTION_NAMES.filter((a) => ACTIONS[a].runsIn === 'activity').map((a) => [a, stub(a)]);
  // The compiler checks the fakes against the real factory's type.
  return Object.fromEntries(entries) as Activities;
}

const MINUTE = 60_000;
const at = (iso: string) => Date.parse(iso);

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const calls: string[] = [];
const taskQueue = 'timers';
let n = 0;

async function start(draft: IncidentInputDraft) {
  const input = parseIncident(draft);
  const workflowId = `timers-${++n}`;
  const handle = await env.client.workflow.start(WORKFLOW_TYPE, { taskQueue, workflowId, args: [input] });
  return { id: workflowId, handle, progress: () => handle.query(progressQuery) as Promise<IncidentProgress> };
}

before(async () => {
  const path = await ensureTestServer();
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    // The input check is pure: the real one.
    activities: { ...stubActivities(calls), ...inputActivities() },
  });
  running = worker.run();
});

after(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

describe('timers at their real durations (time-skipping server, stubbed activities)', () => {
  it('an approval that waits 30 minutes and is skipped on timeout: skipped 30 minutes after the wait began, the rest runs', async () => {
    const { handle } = await start(gated({ timeout: '30m', onTimeout: 'skip' }));
    const result = (await handle.result()) as IncidentProgress;
    assert.equal(result.state, 'resolved');
    assert.equal(result.steps.find((s) => s.id === 'gated')!.status, 'skipped');
    assert.equal(result.steps.find((s) => s.id === 'last')!.status, 'succeeded');
    const asked = result.timeline.find((e) => e.step === 'gated' && e.kind === 'approval-requested');
    const skipped = result.timeline.find((e) => e.step === 'gated' && e.kind === 'step-skipped');
    assert.ok(asked && skipped, `timeline: ${result.timeline.map((e) => e.kind).join(', ')}`);
    const waited = at(skipped.at) - at(asked.at);
    assert.ok(waited >= 30 * MINUTE && waited < 31 * MINUTE, `waited ${waited} ms`);
  });

  it('escalates after the first 15 minutes, then aborts 15 minutes after the escalation', async () => {
    const { handle, progress } = await start(
      gated({ approvers: ['alice'], timeout: '15m', onTimeout: 'escalate', escalateTo: [{ group: 'leads', approvers: ['lee'] }] }),
    );
    await assert.rejects(handle.result(), /Workflow execution failed/);
    const result = await progress();
    assert.equal(result.state, 'aborted');
    const asked = result.timeline.find((e) => e.kind === 'approval-requested')!;
    const escalated = result.timeline.find((e) => e.kind === 'escalated')!;
    assert.ok(escalated, `timeline: ${result.timeline.map((e) => e.kind).join(', ')}`);
    const toEscalate = at(escalated.at) - at(asked.at);
    const toAbort = at(result.endedAt!) - at(escalated.at);
    assert.ok(toEscalate >= 15 * MINUTE && toEscalate < 16 * MINUTE, `escalated after ${toEscalate} ms`);
    assert.ok(toAbort >= 15 * MINUTE && toAbort < 16 * MINUTE, `aborted ${toAbort} ms after escalating`);
    assert.equal(result.steps.find((s) => s.id === 'last')!.status, 'pending');
  });

  it('an S1 incident posts a status update every 15 minutes while it waits (the severity default)', async () => {
    const { progress } = await start(gated({ timeout: '2h', onTimeout: 'abort' }, { severity: 'S1' }));
    await env.sleep('50m');
    const p = await progress();
    const updates = p.timeline.filter((e) => e.kind === 'status-update');
    assert.equal(updates.length, 3, `status updates at ${updates.map((u) => u.at).join(', ')}`);
    for (let i = 1; i < updates.length; i++) {
      const gap = at(updates[i]!.at) - at(updates[i - 1]!.at);
      assert.ok(Math.abs(gap - 15 * MINUTE) < 1_000, `status updates ${gap} ms apart`);
    }
    assert.equal(p.state, 'awaiting-approval');
  });

  it('onTimeout: proceed lets the step run after its timeout, and says so', async () => {
    const { handle } = await start(gated({ timeout: '10m', onTimeout: 'proceed' }));
    const result = (await handle.result()) as IncidentProgress;
    assert.equal(result.state, 'resolved');
    assert.equal(result.steps.find((s) => s.id === 'gated')!.status, 'succeeded');
    assert.ok(calls.some((c) => c === 'runCommand:gated'));
  });
});
