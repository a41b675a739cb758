import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIncident } from '../../common/incidents';
import { IncidentTracker } from '../../workflows/tracker';

function tracker() {
  const input = parseIncident({
    class: 'destructive-action',
    severity: 'S1',
    title: 'files deleted',
    steps: [
      { id: 'stop', action: 'stopService', args: { service: 'agent', pidfile: '/run/agent.pid' } },
      { id: 'restore', action: 'restoreBackup', approval: { required: true }, args: { target: '/srv/ws', archive: '/b.tgz' } },
    ],
  });
  let t = 0;
  return new IncidentTracker('inc-1', input, () => new Date(Date.UTC(2026, 10, 22, 0, 0, t++)).toISOString());
}

describe('IncidentTracker', () => {
  it('starts with every step pending, in the first step phase', () => {
    const tr = tracker();
    assert.equal(tr.progress.phase, 'freeze');
    assert.deepEqual(tr.progress.steps.map((s) => [s.id, s.status, s.needsApproval]), [
      ['stop', 'pending', false],
      ['restore', 'pending', true],
    ]);
    assert.equal(tr.progress.timeline[0]!.kind, 'incident-started');
  });

  it('records an approval for a waiting step, with who and when', () => {
    const tr = tracker();
    tr.requestApproval('restore');
    assert.equal(tr.progress.state, 'awaiting-approval');
    assert.deepEqual(tr.progress.pendingApprovals.map((p) => p.step), ['restore']);
    assert.equal(tr.receive('approve', { step: 'restore', by: 'alice', comment: 'checked' }), true);
    assert.deepEqual(tr.decisionFor('restore'), { kind: 'approve', by: 'alice', comment: 'checked' });
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
    tr.requestApproval('restore');
    assert.equal(tr.receive('deny', { step: 'restore', by: 'bob', reason: 'backup is stale' }), true);
    assert.equal(tr.receive('approve', { step: 'restore', by: 'alice' }), false);
    assert.deepEqual(tr.decisionFor('restore'), { kind: 'deny', by: 'bob', reason: 'backup is stale' });
  });

  it('tracks step results and the end state', () => {
    const tr = tracker();
    tr.started('stop');
    tr.succeeded('stop', { summary: 'stopped agent', attempt: 2, data: { pid: 42 } });
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

  it('records alert notifications, and a resolved one changes nothing else', () => {
    const tr = tracker();
    const notice = { source: 'alertmanager', status: 'firing', fingerprint: '{}:{alertname="KeyLeak"}', summary: '[firing:1] KeyLeak', receivedAt: '2026-11-22T03:00:00.000Z' };
    assert.equal(tr.receiveAlert(notice), true);
    assert.equal(tr.receiveAlert({ ...notice, status: 'resolved', summary: '[resolved] KeyLeak' }), true);
    assert.equal(tr.receiveAlert({ ...notice, status: 'gone' }), false);
    const alerts = tr.progress.timeline.filter((e) => e.kind === 'alert');
    assert.deepEqual(alerts.map((e) => e.by), ['alertmanager', 'alertmanager']);
    assert.match(alerts[1]!.message, /^resolved from alertmanager .*\[resolved\] KeyLeak$/);
    assert.match(tr.progress.timeline.at(-1)!.message, /^alert ignored: status: /);
    assert.equal(tr.progress.state, 'running');
    assert.equal(tr.progress.endedAt, undefined);
  });
});
