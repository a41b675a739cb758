import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { incidentId, parseIncident } from '../../client/incidents';
import { Problem } from '../../common/errors';
import { incidentInputSchema, formatIssues } from '../../contract';
import { activityOptionsFor, localActivityOptionsFor, mayRunLocally, usesContainPreset } from '../../workflows/presets';

const valid = {
  class: 'secret-exposure',
  severity: 'S1',
  title: 'key leaked',
  steps: [{ id: 'rotate', action: 'rotateKey', args: { envFile: '/tmp/x.env', key: 'API_KEY' } }],
};

describe('incident input', () => {
  it('accepts a valid incident and fills defaults', () => {
    const input = parseIncident(valid);
    assert.deepEqual(input.targets, []);
    assert.equal(input.steps[0]!.onFailure, 'abort');
  });

  it('reports each bad field with its path', () => {
    const bad = {
      ...valid,
      severity: 'S9',
      steps: [
        { id: 'Bad Id', action: 'rotateKey', args: { envFile: '', key: '1abc' } },
        { id: 'x', action: 'launchMissiles', args: {} },
      ],
    };
    const result = incidentInputSchema.safeParse(bad);
    assert.equal(result.success, false);
    const lines = formatIssues(result.error!);
    assert.ok(
      lines.some((l) => l.startsWith('severity:')),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => l.startsWith('steps.0.id:')),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => l.startsWith('steps.0.args.envFile:')),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => l.startsWith('steps.0.args.key:')),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => l.startsWith('steps.1.action:')),
      lines.join('\n'),
    );
  });

  it('refuses duplicate step ids', () => {
    const dup = { ...valid, steps: [valid.steps[0], valid.steps[0]] };
    assert.throws(
      () => parseIncident(dup),
      (err: Problem) => err.kind === 'InvalidInput' && /steps\.1\.id: duplicate step id "rotate"/.test(err.message),
    );
  });

  it('refuses an incident without steps', () => {
    assert.throws(() => parseIncident({ ...valid, steps: [] }), /steps: an incident needs at least one step/);
  });

  it('makes readable workflow ids', () => {
    assert.match(incidentId({ class: 'secret-exposure' }, new Date('2026-11-22T10:00:00Z')), /^inc-20261122-secret-exposure-[0-9a-f]{12}$/);
  });
});

describe('activity option presets', () => {
  it('merges step overrides over the action preset', () => {
    const step = parseIncident({
      ...valid,
      steps: [{ id: 'snap', action: 'snapshotDisk', retry: { maximumAttempts: 2 }, timeouts: { heartbeat: '3s' }, args: { target: '/tmp' } }],
    }).steps[0]!;
    const options = activityOptionsFor(step);
    assert.equal(options.retry?.maximumAttempts, 2);
    assert.equal(options.retry?.backoffCoefficient, 2, 'unset fields keep the preset');
    assert.equal(options.heartbeatTimeout, '3s');
    assert.equal(options.startToCloseTimeout, '30m');
  });

  it('gives containment steps a heartbeat timeout, except in incidents started before the patch', () => {
    const step = parseIncident({ ...valid, steps: [{ id: 'lock', action: 'lockNetwork', args: { allow: ['127.0.0.1'] } }] }).steps[0]!;
    assert.ok(usesContainPreset('lockNetwork') && usesContainPreset('stopService') && usesContainPreset('rotateKey'));
    assert.ok(!usesContainPreset('notify'), 'read-only or reporting actions keep the short preset');
    assert.equal(activityOptionsFor(step).heartbeatTimeout, '10s');
    assert.equal(activityOptionsFor(step).startToCloseTimeout, '1m');
    assert.equal(activityOptionsFor(step, { containHeartbeat: false }).heartbeatTimeout, undefined, 'replaying old incidents: no heartbeat');
  });

  it('runs a step locally only when its action allows it, in the freeze phase, with a start-to-close of a minute at most', () => {
    const step = (s: Record<string, unknown>) => parseIncident({ ...valid, steps: [{ id: 's', ...s }] }).steps[0]!;
    const pidfile = { service: 'agent', manager: { kind: 'process', pidfile: '/tmp/agent.pid' } };
    const cmd = { action: 'runCommand', args: { argv: ['true'] } };
    assert.ok(mayRunLocally(step({ action: 'stopService', args: pidfile })), 'a stop in its default (freeze) phase');
    assert.ok(!mayRunLocally(step({ action: 'stopService', phase: 'contain', args: pidfile })), 'the same stop later in the incident');
    assert.ok(!mayRunLocally(step({ ...cmd, phase: 'freeze' })), "a command's 30-minute preset is too long");
    assert.ok(mayRunLocally(step({ ...cmd, phase: 'freeze', timeouts: { startToClose: '30s' } })));
    assert.ok(!mayRunLocally(step({ ...cmd, phase: 'freeze', timeouts: { startToClose: '2m' } })));
    assert.ok(!mayRunLocally(step({ ...cmd, phase: 'freeze', timeouts: { startToClose: '30s', heartbeat: '5s' } })), 'a heartbeat needs an activity');
    assert.ok(!mayRunLocally(step({ action: 'notify', phase: 'freeze', args: { text: 'hi' } })), 'notify is not a local action');
    const local = localActivityOptionsFor(step({ action: 'stopService', args: pidfile }));
    assert.equal(local.startToCloseTimeout, '1m');
    assert.ok(!('heartbeatTimeout' in local));
  });

  it('rejects durations it cannot read', () => {
    assert.throws(() => parseIncident({ ...valid, steps: [{ ...valid.steps[0], timeouts: { startToClose: 'soon' } }] }), /steps\.0\.timeouts\.startToClose/);
  });
});
