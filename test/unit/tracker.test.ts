import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIncident } from '../../client/incidents';
import { lastIgnored } from '../../workflows/details';
import { IncidentTracker } from '../../workflows/tracker';

function tracker(extra: { approval?: Record<string, unknown>; playbook?: boolean; effects?: boolean } = {}) {
  const input = parseIncident({
    ...(extra.playbook ? { playbook: { name: 'test' } } : {}),
    class: 'destructive-action',
    severity: 'S1',
    title: 'files deleted',
    steps: [
      {
        id: 'stop',
        action: 'stopService',
        args: { service: 'agent', pidfile: '/run/agent.pid' },
        ...(extra.effects ? { effects: { freezes: ['agent'], snapshots: [] } } : {}),
      },
      {
        id: 'restore',
        action: 'restoreBackup',
        approval: { required: true, ...extra.approval },
        args: { target: '/srv/ws', archive: '/b.tgz' },
        ...(extra.effects ? { effects: { restores: ['workspace'] } } : {}),
      },
    ],
  });
  let t = 0;
  const tr = new IncidentTracker('inc-1', input, () => new Date(Date.UTC(2026, 10, 22, 0, 0, t++)).toISOString());
  return Object.assign(tr, { steps: input.steps, gate: () => tr.requestApproval(input.steps[1]!) });
}

describe('IncidentTracker', () => {
  it('shows the last ignored signal until a decision that counts', () => {
    const tr = tracker({ approval: { approvers: ['bob'] } });
    tr.gate();
    assert.equal(lastIgnored(tr.progress), undefined);
    assert.equal(tr.receive('approve', { step: 'restor', by: 'bob' }), false);
    assert.match(lastIgnored(tr.progress)?.message ?? '', /^approve ignored: .*restor/);
    assert.equal(tr.receive('approve', { step: 'restore', by: 'bob' }), true);
    assert.equal(lastIgnored(tr.progress), undefined, 'the approval that counted clears it');
  });

  it('starts with every step pending, in the first step phase', () => {
    const tr = tracker();
    assert.equal(tr.progress.phase, 'freeze');
    assert.deepEqual(
      tr.progress.steps.map((s) => [s.id, s.status, s.needsApproval]),
      [
        ['stop', 'pending', false],
        ['restore', 'pending', true],
      ],
    );
    assert.equal(tr.progress.timeline[0]!.kind, 'incident-started');
  });

  it('records an approval for a waiting step, with who and when', () => {
    const tr = tracker();
    tr.gate();
    assert.equal(tr.progress.state, 'awaiting-approval');
    assert.deepEqual(
      tr.progress.pendingApprovals.map((p) => p.step),
      ['restore'],
    );
    assert.equal(tr.receive('approve', { step: 'restore', by: 'alice', comment: 'checked' }), true);
    assert.deepEqual(tr.decisionFor('restore'), { kind: 'approve', by: 'alice', comment: 'checked' });
    assert.deepEqual(tr.step('restore').approvedBy, ['alice']);
    assert.equal(tr.progress.state, 'running');
    assert.equal(tr.progress.pendingApprovals.length, 0);
    const event = tr.progress.timeline.at(-1)!;
    assert.equal(event.kind, 'approved');
    assert.equal(event.by, 'alice');
    assert.match(event.at, /^2026-11-22T/);
  });

  it('ignores, and records why, approvals that cannot apply', () => {
    const tr = tracker();
    assert.equal(tr.receive('approve', { step: 'restore', by: 'eve' }), false, 'not waiting yet');
    assert.equal(tr.receive('approve', { step: 'nope', by: 'eve' }), false, 'unknown step');
    assert.equal(tr.receive('approve', { by: 'eve' }), false, 'malformed');
    assert.equal(tr.receive('deny', { step: 'restore', by: 'eve' }), false, 'deny without reason');
    const ignored = tr.progress.timeline.filter((e) => e.kind === 'signal-ignored').map((e) => e.message);
    assert.equal(ignored.length, 4);
    assert.match(ignored[0]!, /not waiting for approval \(it is pending\)/);
    assert.match(ignored[1]!, /no step "nope" \(steps: stop, restore\)/);
    assert.match(ignored[2]!, /step: /);
    assert.match(ignored[3]!, /reason: /);
    assert.equal(tr.decisionFor('restore'), undefined);
  });

  it('takes the first decision only', () => {
    const tr = tracker();
    tr.gate();
    assert.equal(tr.receive('deny', { step: 'restore', by: 'bob', reason: 'backup is stale' }), true);
    assert.equal(tr.receive('approve', { step: 'restore', by: 'alice' }), false);
    assert.deepEqual(tr.decisionFor('restore'), { kind: 'deny', by: 'bob', reason: 'backup is stale' });
  });

  it('tracks step results and the end state', () => {
    const tr = tracker();
    tr.started('stop');
    tr.succeeded(tr.steps[0]!, { summary: 'stopped agent', attempt: 2, data: { pid: 42 } });
    tr.failed('restore', 'TargetNotFound: no archive', 1);
    tr.finish('failed', 'restore failed');
    const [stop, restore] = tr.progress.steps;
    assert.equal(stop!.status, 'succeeded');
    assert.equal(stop!.attempts, 2);
    assert.deepEqual(stop!.result, { pid: 42 });
    assert.ok(stop!.startedAt && stop!.endedAt && stop!.startedAt < stop!.endedAt);
    assert.equal(restore!.status, 'failed');
    assert.equal(restore!.error, 'TargetNotFound: no archive');
    assert.equal(tr.progress.state, 'failed');
    assert.notEqual(tr.progress.phase, 'closed');
    assert.match(tr.details(), /✘ `restore`/);
  });

  it('needs the quorum of distinct, allowed approvers', () => {
    const tr = tracker({ approval: { approvers: ['alice', 'bob', 'carol'], quorum: 2 } });
    tr.gate();
    assert.equal(tr.progress.pendingApprovals[0]!.needed, 2);
    assert.equal(tr.receive('approve', { step: 'restore', by: 'mallory' }), false, 'not allowed');
    assert.equal(tr.receive('approve', { step: 'restore', by: 'alice' }), true);
    assert.equal(tr.decisionFor('restore'), undefined, 'one approval is not enough');
    assert.equal(tr.progress.pendingApprovals[0]!.needed, 1);
    assert.equal(tr.receive('approve', { step: 'restore', by: 'alice' }), false, 'the same person twice counts once');
    assert.equal(tr.decisionFor('restore'), undefined);
    assert.equal(tr.receive('approve', { step: 'restore', by: 'bob' }), true);
    assert.equal(tr.decisionFor('restore')?.kind, 'approve');
    const ignored = tr.progress.timeline.filter((e) => e.kind === 'signal-ignored').map((e) => e.message);
    assert.match(ignored[0]!, /mallory may not decide step "restore" \(allowed: alice, bob, carol\)/);
    assert.match(ignored[1]!, /alice already approved step "restore"; it needs 2 different people/);
  });

  it('takes an operator answer only for the step that waits for one', () => {
    const tr = tracker();
    tr.failed('stop', 'CommandFailed: boom', 3);
    tr.askOperator('stop', 'CommandFailed: boom');
    assert.equal(tr.progress.state, 'awaiting-operator');
    assert.equal(tr.receiveOperator({ step: 'restore', by: 'ann', decision: 'retry' }), false);
    assert.equal(tr.receiveOperator({ step: 'stop', by: 'ann', decision: 'later' }), false, 'not a decision');
    assert.equal(tr.receiveOperator({ step: 'stop', by: 'ann', decision: 'retry' }), true);
    assert.equal(tr.operatorDecision()?.decision, 'retry');
    assert.equal(tr.progress.state, 'running');
    assert.equal(tr.progress.pendingOperator, undefined);
  });

  it('records durable controls of the fixed kinds only', () => {
    const tr = tracker();
    assert.equal(tr.receiveControl({ kind: 'prompt-change', note: 'told the model not to', by: 'ann' }), false);
    assert.equal(tr.receiveControl({ kind: 'approval-gate', note: 'deploys need approval', by: 'ann' }), true);
    assert.deepEqual(
      tr.progress.controls.map((c) => [c.kind, c.by]),
      [['approval-gate', 'ann']],
    );
    assert.match(tr.progress.timeline.find((e) => e.kind === 'signal-ignored')!.message, /a prompt change is never one/);
  });

  it('guards the ordering rules at run time for playbook incidents, from what really succeeded', () => {
    const tr = tracker({ playbook: true, effects: true });
    const restore = tr.steps[1]!;
    assert.match(tr.violation(restore)!, /rule 5 \(no restore over evidence\): step "restore" would restore "workspace"/);
    const free = tracker({ effects: true });
    assert.equal(free.violation(free.steps[1]!), undefined, 'raw incidents are not guarded');
  });

  it('records alert notifications, and a resolved one changes nothing else', () => {
    const tr = tracker();
    const notice = {
      source: 'alertmanager',
      status: 'firing',
      fingerprint: '{}:{alertname="KeyLeak"}',
      summary: '[firing:1] KeyLeak',
      receivedAt: '2026-11-22T03:00:00.000Z',
    };
    assert.equal(tr.receiveAlert(notice), true);
    assert.equal(tr.receiveAlert({ ...notice, status: 'resolved', summary: '[resolved] KeyLeak' }), true);
    assert.equal(tr.receiveAlert({ ...notice, status: 'gone' }), false);
    const alerts = tr.progress.timeline.filter((e) => e.kind === 'alert');
    assert.deepEqual(
      alerts.map((e) => e.by),
      ['alertmanager', 'alertmanager'],
    );
    assert.match(alerts[1]!.message, /^resolved from alertmanager .*\[resolved\] KeyLeak$/);
    assert.match(tr.progress.timeline.at(-1)!.message, /^alert ignored: status: /);
    assert.equal(tr.progress.state, 'running');
    assert.equal(tr.progress.endedAt, undefined);
  });
});
