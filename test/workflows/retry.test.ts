/**
 * `tourniquet retry <id> --from <step>` against a real Temporal dev server and worker: a failed
 * incident continues from the step, its approval gate asks again (the approval given before the
 * failure does not carry over), the earlier step's effect is not repeated, and a cancelled
 * incident or a step past the failure is refused.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { execa } from 'execa';
import { approve, cancelIncident, getProgress, parseIncident, startIncident } from '../../client/incidents';
import type { IncidentProgress } from '../../contract';
import { tempDir } from '../helpers/activity';
import { startTestServer, startTestWorker, waitFor, type TestServer } from '../helpers/temporal';

const dir = tempDir('tourniquet-retry-');
const taskQueue = `retry-${randomUUID()}`;
const root = new URL('../../', import.meta.url).pathname;
let env: TestServer;
let worker: Worker;
let running: Promise<void>;

before(async () => {
  env = await startTestServer();
  ({ worker, running } = await startTestWorker(env, { taskQueue, home: join(dir, 'home') }));
});

after(async () => {
  worker?.shutdown();
  await running;
  await env?.stop();
});

const until = (id: string, what: string, check: (p: IncidentProgress) => boolean) =>
  waitFor(what, async () => {
    const p = await getProgress(env.client, id).catch(() => undefined);
    return p && check(p) ? p : undefined;
  });

const cli = (args: string[]) =>
  execa(process.execPath, [join(root, 'bin/tourniquet.js'), ...args], {
    cwd: root,
    reject: false,
    env: { TEMPORAL_ADDRESS: env.address, LOG_LEVEL: 'silent' },
  });

/** `mark` leaves one line per run in a file; `fix` needs approval and fails until `flag` exists. */
function incident(tag: string) {
  const marks = join(dir, `${tag}.marks`);
  const flag = join(dir, `${tag}.flag`);
  const input = parseIncident({
    class: 'runaway-automation',
    severity: 'S2',
    title: `retry ${tag}`,
    steps: [
      { id: 'mark', action: 'runCommand', phase: 'contain', args: { argv: ['sh', '-c', `echo ran >> ${marks}`] } },
      { id: 'fix', action: 'runCommand', phase: 'recover', approval: { required: true }, args: { argv: ['test', '-f', flag] } },
      { id: 'check', action: 'runCommand', phase: 'verify', args: { argv: ['true'] } },
    ],
  });
  return { input, marks, flag };
}

describe('retry --from', () => {
  it('continues a failed incident from the step: the gate asks again and the earlier effect is not repeated', async () => {
    const { input, marks, flag } = incident('failed');
    const { id } = await startIncident(env.client, input, { taskQueue });
    await until(id, 'the gate', (p) => p.pendingApprovals.some((a) => a.step === 'fix'));
    await approve(env.client, id, { step: 'fix', by: 'alice' });
    const failed = await until(id, 'the failure', (p) => p.state === 'failed');
    assert.equal(failed.steps[1]!.status, 'failed');
    assert.equal(readFileSync(marks, 'utf8'), 'ran\n');

    const tooFar = await cli(['retry', id, '--from', 'check', '--by', 'carol']);
    assert.notEqual(tooFar.exitCode, 0);
    assert.match(tooFar.stderr, /step "fix" did not finish/);

    writeFileSync(flag, 'fixed\n');
    const retried = await cli(['retry', id, '--from', 'fix', '--by', 'carol', '--json']);
    assert.equal(retried.exitCode, 0, retried.stderr);
    const answer = JSON.parse(retried.stdout) as { runId: string; rerun: string[] };
    assert.deepEqual(answer.rerun, ['fix', 'check']);

    const asking = await until(id, 'the gate asked again', (p) => p.state === 'awaiting-approval');
    assert.deepEqual(
      asking.pendingApprovals.map((a) => [a.step, a.needed]),
      [['fix', 1]],
    );
    assert.equal(asking.steps[1]!.decisions, undefined, "alice's approval before the failure does not carry over");
    assert.equal(asking.steps[0]!.status, 'succeeded');
    // The step before the reset point keeps the times it ran at, not the moment of the retry.
    assert.deepEqual([asking.steps[0]!.startedAt, asking.steps[0]!.endedAt], [failed.steps[0]!.startedAt, failed.steps[0]!.endedAt]);

    await approve(env.client, id, { step: 'fix', by: 'bob' });
    const done = await until(id, 'the end', (p) => p.state === 'resolved');
    assert.deepEqual(
      done.steps.map((s) => s.status),
      ['succeeded', 'succeeded', 'succeeded'],
    );
    assert.deepEqual(done.steps[1]!.approvedBy, ['bob']);
    assert.equal(readFileSync(marks, 'utf8'), 'ran\n', 'mark ran once');
    const description = await env.client.workflow.getHandle(id).describe();
    assert.equal(description.runId, answer.runId);
  });

  it('refuses a cancelled incident', async () => {
    const { input, flag } = incident('cancelled');
    const { id } = await startIncident(env.client, input, { taskQueue });
    await until(id, 'the gate', (p) => p.state === 'awaiting-approval');
    await cancelIncident(env.client, id);
    await waitFor('cancelled', async () => ((await env.client.workflow.getHandle(id).describe()).status.name === 'CANCELLED' ? true : undefined));
    const refused = await cli(['retry', id, '--from', 'fix', '--by', 'carol']);
    assert.notEqual(refused.exitCode, 0);
    assert.match(refused.stderr, /is cancelled: its changes were undone/);
    assert.equal(existsSync(flag), false);
  });
});
