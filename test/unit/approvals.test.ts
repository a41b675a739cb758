/** The compiled approval (two-person rule, per-severity timeouts, escalation) and the undo mapping. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPlaybook, compilePlaybook, formatProblems, YamlSource } from '../../compiler';
import { parseIncident } from '../../client/incidents';
import { redactSecrets } from '../../common/redact';
import { IncidentTracker } from '../../workflows/tracker';
import { undoFor } from '../../workflows/undo';
import { testInventory } from '../helpers/playbooks';

const inventory = { ...testInventory(), approvers: { oncall: ['alice', 'bob', 'carol'], leads: ['lee'], solo: ['sam'] } };

function restorePlaybook(approval: string, severity = 'S1') {
  return YamlSource.parse(
    'test.yaml',
    `name: test\nclass: destructive-action\ndescription: a test\nseverity: ${severity}
phases:
  preserve:
    - { id: snap, action: snapshotDisk, args: { backup: workspace-backup } }
  recover:
    - id: restore
      action: restoreBackup
${approval ? `      approval: ${approval}\n` : ''}      args: { backup: workspace-backup }
  learn:
    - { id: note, action: writeNote }
`,
  );
}
const restoreStep = (approval: string, severity = 'S1', o: { severity?: string } = {}) =>
  compilePlaybook(restorePlaybook(approval, severity), { inventory, ...o }).steps[1]!;

describe('compiled approvals', () => {
  it('two-person rule: a destructive S1 step needs two approvers unless the playbook says otherwise', () => {
    assert.equal(restoreStep('{ required: true }').approval?.quorum, 2);
    assert.equal(restoreStep('').approval?.quorum, 2, 'an ungated destructive S1 step gets a two-person gate');
    assert.equal(restoreStep('{ required: true, quorum: 1 }').approval?.quorum, 1, 'explicit quorum wins');
    assert.equal(restoreStep('{ required: false }').approval, undefined, 'explicitly ungated');
    assert.equal(restoreStep('{ required: true }', 'S2').approval?.quorum, 1, 'S2: one approver');
    assert.equal(restoreStep('', 'S2').approval, undefined);
    assert.equal(restoreStep('{ required: true }', 'S2', { severity: 'Critical' }).approval?.quorum, 2, 'run as S1: two');
  });

  it('refuses a quorum the approver list cannot meet', () => {
    const result = checkPlaybook(restorePlaybook('{ approvers: [solo] }'), { inventory });
    assert.match(
      formatProblems('test.yaml', result.problems),
      /approval\.quorum: quorum 2 \(the two-person rule for destructive S1 steps\) but only 1 approver\(s\) listed \(sam\)/,
    );
  });

  it('picks the timeout and its outcome for the severity, and resolves escalation groups', () => {
    const approval = '{ approvers: [oncall], timeout: { S1: 15m, S2: 1h }, onTimeout: { S1: escalate, S2: abort, S3: proceed }, escalateTo: [leads] }';
    const s1 = restoreStep(approval).approval!;
    assert.equal(s1.timeout, '15m');
    assert.equal(s1.onTimeout, 'escalate');
    assert.deepEqual(s1.escalateTo, [{ group: 'leads', approvers: ['lee'] }]);
    const s2 = restoreStep(approval, 'S2').approval!;
    assert.deepEqual([s2.timeout, s2.onTimeout], ['1h', 'abort']);
    const s3 = restoreStep(approval, 'S3').approval!;
    assert.deepEqual([s3.timeout, s3.onTimeout], [undefined, 'proceed']);
  });

  it('escalation needs a known group and a timeout', () => {
    const text = formatProblems('test.yaml', checkPlaybook(restorePlaybook('{ onTimeout: escalate, escalateTo: nobody }'), { inventory }).problems);
    assert.match(text, /approval\.escalateTo: "nobody" is not an approver group in the inventory \(groups: oncall, leads, solo\)/);
    assert.match(text, /approval\.timeout: onTimeout: escalate needs a timeout for S1/);
    assert.throws(
      () =>
        parseIncident({
          class: 'service-outage',
          severity: 'S2',
          title: 't',
          steps: [{ id: 'a', action: 'runCommand', args: { argv: ['true'] }, approval: { onTimeout: 'escalate', timeout: '1s' } }],
        }),
      /escalateTo: onTimeout: escalate needs escalateTo/,
    );
  });
});

describe('pause, resume and status in the tracker', () => {
  const input = parseIncident({ class: 'service-outage', severity: 'S2', title: 't', steps: [{ id: 'a', action: 'runCommand', args: { argv: ['true'] } }] });
  it('records who paused and resumed; ignores what cannot apply', () => {
    const tr = new IncidentTracker('inc-1', input, () => '2026-11-22T00:00:00.000Z');
    assert.equal(tr.receiveResume({ by: 'ann' }), false);
    assert.equal(tr.receivePause({ by: 'ann', reason: 'look first' }), true);
    assert.equal(tr.progress.state, 'paused');
    assert.equal(tr.receivePause({ by: 'bob' }), false);
    assert.match(tr.details(), /Paused by ann \(look first\)/);
    assert.match(tr.statusUpdate(), /^status: S2 service-outage is paused in phase contain; 0\/1 steps done; paused by ann$/);
    assert.equal(tr.receiveResume({ by: 'ann' }), true);
    assert.equal(tr.progress.state, 'running');
    assert.deepEqual(
      tr.progress.timeline.filter((e) => e.kind === 'signal-ignored').map((e) => e.message),
      ['resume ignored: the incident is not paused', 'pause ignored: already paused by ann'],
    );
  });
});

describe('undo mapping', () => {
  const input = parseIncident({
    class: 'destructive-action',
    severity: 'S1',
    title: 't',
    steps: [
      { id: 'stop', action: 'stopService', args: { service: 'gw', pidfile: '/run/gw.pid' } },
      { id: 'rotate', action: 'rotateKey', args: { envFile: '/srv/.env', key: 'API_KEY' } },
      { id: 'snap', action: 'snapshotDisk', args: { target: '/srv/ws' } },
      { id: 'restore', action: 'restoreBackup', args: { target: '/srv/ws', archive: '/b.tgz' } },
      { id: 'cmd', action: 'runCommand', args: { argv: ['queuectl', 'pause'] } },
    ],
  });
  const tr = new IncidentTracker('inc-1', input, () => '2026-11-22T00:00:00.000Z');
  tr.succeeded(input.steps[2]!, {
    summary: 'snap',
    data: { snapshotId: 'snap-1', target: '/srv/ws', archive: '/home/t/incidents/inc-1/snapshots/snap-1.tar.gz' },
  });
  const [stop, rotate, snap, restore, cmd] = input.steps as [never, never, never, never, never];

  it('maps each mutating action to its undo, and says what cannot be undone', () => {
    const start = undoFor(stop, { wasRunning: true }, tr.progress);
    assert.equal(start.kind === 'run' && start.step.action, 'startService');
    // The activity applies its schema's defaults (settleMs) when it parses these: not the workflow.
    assert.deepEqual(start.kind === 'run' && start.step.args, { service: 'gw', manager: { kind: 'process', pidfile: '/run/gw.pid' } });
    assert.equal(undoFor(stop, { wasRunning: false }, tr.progress).kind, 'none');
    const back = undoFor(restore, { snapshotId: 'snap-1', target: '/srv/ws' }, tr.progress);
    assert.deepEqual(back.kind === 'run' && back.step.args, {
      method: 'archive',
      target: '/srv/ws',
      archive: '/home/t/incidents/inc-1/snapshots/snap-1.tar.gz',
    });
    const never = undoFor(rotate, {}, tr.progress);
    assert.equal(never.kind, 'impossible');
    assert.match(never.kind === 'impossible' ? never.why : '', /API_KEY in \/srv\/\.env was rotated and cannot be un-rotated/);
    assert.equal(undoFor(snap, {}, tr.progress).kind, 'none');
  });

  it('prefers the undo a result reports, and null means nothing to undo', () => {
    const reported = undoFor(cmd, { undo: { action: 'runCommand', args: { argv: ['queuectl', 'resume'] } } }, tr.progress);
    assert.deepEqual(reported.kind === 'run' && (reported.step.args as { argv: string[] }).argv, ['queuectl', 'resume']);
    assert.equal(reported.kind === 'run' && reported.step.id, 'undo-cmd');
    assert.equal(undoFor(cmd, { undo: null }, tr.progress).kind, 'none');
    const unknown = undoFor(cmd, { undo: { action: 'unplugEverything', args: {} } }, tr.progress);
    assert.match(unknown.kind === 'impossible' ? unknown.why : '', /not an action this engine can run: no action "unplugEverything" runs as an activity/);
    const inWorkflow = undoFor(cmd, { undo: { action: 'recordControl', args: {} } }, tr.progress);
    assert.equal(inWorkflow.kind, 'impossible');
    const noArgs = undoFor(cmd, { undo: { action: 'unlockNetwork', args: 'all' } }, tr.progress);
    assert.match(noArgs.kind === 'impossible' ? noArgs.why : '', /its arguments are not an object/);
  });
});

describe('redaction', () => {
  it('replaces well-known token formats and keeps fingerprints', () => {
    const text = [
      'key sk-live-0123456789abcdef0123456789abcdef',
      'gh ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123',
      'aws AKIAABCDEFGHIJKLMNOP',
      'slack xoxb-1234567890-abcdefghij',
      'API_KEY=supersecretvalue1',
      'token: sha256:0123456789abcdef',
      'Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345',
    ].join('\n');
    const { text: out, redacted } = redactSecrets(text);
    assert.equal(redacted, 6);
    for (const secret of [
      '0123456789abcdef0123456789abcdef',
      'ghp_ABC',
      'AKIAABCDEFGHIJKLMNOP',
      'xoxb-',
      'supersecretvalue1',
      'abcdefghijklmnopqrstuvwxyz012345',
    ])
      assert.ok(!out.includes(secret), secret);
    assert.match(out, /token: sha256:0123456789abcdef/);
    assert.match(out, /API_KEY=\[redacted secret-assignment sha256:[0-9a-f]{16}\]/);
    assert.match(out, /Bearer \[redacted bearer-token sha256:[0-9a-f]{16}\]/);
  });
});
